using System.Collections.Concurrent;
using DryWet.Serving.Inference;
using Microsoft.Extensions.DependencyInjection;

namespace DryWet.Tests.Serving;

/// <summary>
/// Stands in for load-time timing (the machine's real run times cannot be asserted in a test): a batch of
/// <c>size</c> images of the graph file <c>file</c> takes <c>size × msPerImage(file, size)</c> ms. Nothing runs; it
/// records which graphs were timed.
/// </summary>
internal sealed class FakeBatchTimer(Func<string, int, double> msPerImage) : IBatchTimer
{
    private readonly ConcurrentQueue<string> _timed = new();

    /// <summary>A batch of the graph named <c>model.int8.onnx</c> takes <paramref name="int8MsPerImage"/> per image, any other graph <paramref name="fp32MsPerImage"/>.</summary>
    public FakeBatchTimer(double int8MsPerImage, double fp32MsPerImage)
        : this((file, _) => file == "model.int8.onnx" ? int8MsPerImage : fp32MsPerImage)
    {
    }

    /// <summary>The file names of the graphs timed, one entry per batch size, in order.</summary>
    public IReadOnlyList<string> Timed => [.. _timed];

    public Task<double> TimeAsync(OnnxClassifier classifier, int height, int width, int classes, int size, int runs)
    {
        var file = Path.GetFileName(classifier.ModelPath);
        _timed.Enqueue(file);
        return Task.FromResult(size * msPerImage(file, size) / 1000);
    }

    /// <summary>Registers this timer in place of the real one.</summary>
    public void Register(IServiceCollection services) => services.AddSingleton<IBatchTimer>(this);
}

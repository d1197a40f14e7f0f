using System.Collections.Concurrent;
using DryWet.Serving.Inference;
using Microsoft.Extensions.DependencyInjection;

namespace DryWet.Tests.Serving;

/// <summary>
/// Stands in for load-time timing (the machine's real run times cannot be asserted in a test): a batch of the graph
/// named <c>model.int8.onnx</c> takes <paramref name="int8MsPerImage"/> per image, any other graph
/// <paramref name="fp32MsPerImage"/>. Nothing runs; it records which graphs were timed.
/// </summary>
internal sealed class FakeBatchTimer(double int8MsPerImage, double fp32MsPerImage) : IBatchTimer
{
    private readonly ConcurrentQueue<string> _timed = new();

    /// <summary>The file names of the graphs timed, one entry per batch size, in order.</summary>
    public IReadOnlyList<string> Timed => [.. _timed];

    public Task<double> TimeAsync(OnnxClassifier classifier, int height, int width, int classes, int size, int runs)
    {
        var file = Path.GetFileName(classifier.ModelPath);
        _timed.Enqueue(file);
        var ms = file == "model.int8.onnx" ? int8MsPerImage : fp32MsPerImage;
        return Task.FromResult(size * ms / 1000);
    }

    /// <summary>Registers this timer in place of the real one.</summary>
    public void Register(IServiceCollection services) => services.AddSingleton<IBatchTimer>(this);
}

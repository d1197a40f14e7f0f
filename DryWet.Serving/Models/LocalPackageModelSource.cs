using System.Globalization;
using System.Security.Cryptography;
using DryWet.Core;
using DryWet.Core.Packaging;
using Microsoft.Extensions.Options;

namespace DryWet.Serving.Models;

/// <summary>Serves the package directory at <c>Model:Path</c>; a reload re-reads it (replace it atomically to roll out).</summary>
public sealed class LocalPackageModelSource(IOptions<ModelOptions> options) : IModelSource
{
    private readonly ModelOptions _options = options.Value;

    public string Description => $"local package {_options.Path ?? "(Model:Path not set)"}";

    public async Task<ModelCandidate> FetchAsync(CancellationToken cancellationToken)
    {
        if (string.IsNullOrWhiteSpace(_options.Path))
        {
            throw new DryWetException(
                "No model configured: set Model:Path (environment variable Model__Path) to a model package directory (MLmodel + model.onnx).");
        }

        var directory = Path.GetFullPath(_options.Path);
        var package = ModelPackage.Load(directory);
        var onnx = new FileInfo(package.OnnxPath);
        var version = _options.Version;
        if (string.IsNullOrWhiteSpace(version))
        {
            await using var stream = onnx.OpenRead();
            version = Convert.ToHexStringLower(await SHA256.HashDataAsync(stream, cancellationToken))[..12];
        }

        var created = DateTimeOffset.TryParse(package.CreatedUtc, CultureInfo.InvariantCulture,
            DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var parsed)
            ? parsed
            : new DateTimeOffset(onnx.CreationTimeUtc);
        var updated = new DateTimeOffset(onnx.LastWriteTimeUtc);
        var description = package.RunId is null
            ? $"Local model package {directory}"
            : $"Local model package {directory} (run {package.RunId})";
        return new ModelCandidate(directory, new ModelDescriptor(
            _options.Name, version, _options.Stage, description,
            created.ToUnixTimeMilliseconds(), Math.Max(updated.ToUnixTimeMilliseconds(), created.ToUnixTimeMilliseconds()),
            $"file://{directory}"));
    }
}

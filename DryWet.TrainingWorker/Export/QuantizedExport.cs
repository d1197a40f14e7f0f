using DryWet.Core.Storage;
using Google.Protobuf;
using Onnx;

namespace DryWet.TrainingWorker.Export;

/// <summary>
/// Writes the INT8 twin of an exported float32 graph: calibrates its Conv/Gemm activations on training images
/// (<see cref="ActivationCalibrator"/>, min/max) and rewrites it as QDQ (<see cref="OnnxQuantizer"/>).
/// </summary>
public static class QuantizedExport
{
    /// <summary>Images used for calibration at most: spread over the training split, enough for stable min/max.</summary>
    public const int CalibrationImages = 64;

    /// <param name="images">Preprocessed training images ([3, H, W] each), as serving and the evaluator prepare them.</param>
    public static async Task WriteAsync(string fp32Path, string int8Path, IEnumerable<float[]> images, int height, int width,
        CancellationToken cancellationToken = default)
    {
        var model = ModelProto.Parser.ParseFrom(await File.ReadAllBytesAsync(fp32Path, cancellationToken));
        var ranges = ActivationCalibrator.Calibrate(model, OnnxQuantizer.ActivationsToCalibrate(model), images, height, width, cancellationToken);
        var quantized = OnnxQuantizer.Quantize(model, ranges);
        var bytes = quantized.ToByteArray();
        await AtomicFile.WriteAsync(int8Path, (stream, ct) => stream.WriteAsync(bytes, ct).AsTask(), cancellationToken);
    }

    /// <summary>Up to <see cref="CalibrationImages"/> items evenly spaced over <paramref name="items"/> (deterministic).</summary>
    public static IReadOnlyList<T> Spread<T>(IReadOnlyList<T> items, int count = CalibrationImages)
    {
        if (items.Count <= count)
        {
            return items;
        }

        return Enumerable.Range(0, count).Select(i => items[(int)((long)i * items.Count / count)]).ToList();
    }
}

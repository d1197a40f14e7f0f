using Google.Protobuf;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using Onnx;

namespace DryWet.TrainingWorker.Export;

/// <summary>
/// Static-quantization calibration: runs the float32 graph with ONNX Runtime on preprocessed training images, with the
/// tensors to be quantized exposed as extra graph outputs, and keeps each one's min/max over all images.
/// </summary>
public static class ActivationCalibrator
{
    /// <param name="model">The float32 graph (one input [N, 3, H, W]).</param>
    /// <param name="tensors">Value names to observe (graph input or node outputs).</param>
    /// <param name="images">Preprocessed images, [3, H, W] floats each, as serving feeds them.</param>
    public static IReadOnlyDictionary<string, TensorRange> Calibrate(ModelProto model, IReadOnlyCollection<string> tensors,
        IEnumerable<float[]> images, int height, int width, CancellationToken cancellationToken = default)
    {
        var probe = model.Clone();
        var inputName = probe.Graph.Input.Single(i => probe.Graph.Initializer.All(t => t.Name != i.Name)).Name;
        var outputs = probe.Graph.Output.Select(o => o.Name).ToHashSet(StringComparer.Ordinal);
        foreach (var name in tensors.Where(t => t != inputName && !outputs.Contains(t)))
        {
            probe.Graph.Output.Add(new ValueInfoProto
            {
                Name = name,
                Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = (int)TensorProto.Types.DataType.Float } },
            });
        }

        var ranges = tensors.ToDictionary(t => t, _ => TensorRange.Empty, StringComparer.Ordinal);
        var observed = tensors.Where(t => t != inputName).ToArray();
        // Basic optimisations only: fusions may remove the intermediate values being observed.
        using var options = new SessionOptions { GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_BASIC };
        using var session = new InferenceSession(probe.ToByteArray(), options);
        var count = 0;
        foreach (var image in images)
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (ranges.ContainsKey(inputName))
            {
                ranges[inputName] = ranges[inputName].Include(image);
            }

            var input = new DenseTensor<float>(image, [1, 3, height, width]);
            using var results = session.Run([NamedOnnxValue.CreateFromTensor(inputName, input)], observed);
            foreach (var result in results)
            {
                var values = result.AsTensor<float>() as DenseTensor<float>
                    ?? throw new InvalidOperationException($"Calibration output '{result.Name}' is not a dense float tensor.");
                ranges[result.Name] = ranges[result.Name].Include(values.Buffer.Span);
            }

            count++;
        }

        return count > 0 ? ranges : throw new ArgumentException("Calibration needs at least one image.", nameof(images));
    }
}

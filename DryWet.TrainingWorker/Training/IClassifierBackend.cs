using DryWet.Core.Configuration;
using TorchSharp;
using static TorchSharp.torch;

namespace DryWet.TrainingWorker.Training;

/// <summary>Builds the network for a config and exports a trained one to ONNX (EfficientNet + OnnxSharp exporter).</summary>
public interface IClassifierBackend
{
    /// <summary>A fresh network for <c>model.architecture</c>, <c>model.num_classes</c>, <c>model.dropout</c>, with the backbone of <paramref name="weightsPath"/> loaded when given.</summary>
    nn.Module<Tensor, Tensor> Create(DryWetConfig config, string? weightsPath = null);

    /// <summary>Writes the network (in eval mode) as an ONNX model with input "input" [N,3,H,W] and output "logits" [N,classes].</summary>
    void ExportOnnx(nn.Module<Tensor, Tensor> model, DryWetConfig config, string onnxPath);
}

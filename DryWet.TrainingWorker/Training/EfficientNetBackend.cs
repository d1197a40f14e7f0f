using DryWet.Core.Configuration;
using DryWet.TrainingWorker.Export;
using DryWet.TrainingWorker.Model;
using TorchSharp;
using static TorchSharp.torch;

namespace DryWet.TrainingWorker.Training;

/// <summary>The real backend: torchvision-compatible EfficientNet (B0–B7, tiny) and the OnnxSharp exporter.</summary>
public sealed class EfficientNetBackend(ITrainingProgress progress) : IClassifierBackend
{
    public nn.Module<Tensor, Tensor> Create(DryWetConfig config)
    {
        var net = EfficientNet.Create(config.Model);
        if (string.IsNullOrWhiteSpace(config.Model.PretrainedPath))
        {
            progress.Message($"{config.Model.Architecture}: training from scratch (no model.pretrained_path; weights cannot be downloaded here — set model.pretrained_path to torchvision's {config.Model.Architecture} .pth to fine-tune).");
        }
        else
        {
            var loaded = ModelWeights.LoadPretrained(net, config.Model.PretrainedPath);
            progress.Message($"{config.Model.Architecture}: loaded {loaded} tensors from {config.Model.PretrainedPath} (classifier left fresh).");
        }

        return net;
    }

    public void ExportOnnx(nn.Module<Tensor, Tensor> model, DryWetConfig config, string onnxPath)
    {
        var net = model as EfficientNet ?? throw new ArgumentException($"Expected an EfficientNet, got {model.GetType().Name}.", nameof(model));
        net.eval();
        OnnxExporter.Export(net, imageSize: config.Training.ImgSize, path: onnxPath);
    }
}

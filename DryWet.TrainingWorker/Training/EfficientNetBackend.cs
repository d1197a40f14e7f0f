using DryWet.Core.Configuration;
using DryWet.TrainingWorker.Export;
using DryWet.TrainingWorker.Model;
using TorchSharp;
using static TorchSharp.torch;

namespace DryWet.TrainingWorker.Training;

/// <summary>The real backend: torchvision-compatible EfficientNet (B0–B7, tiny) and the OnnxSharp exporter.</summary>
public sealed class EfficientNetBackend(ITrainingProgress progress) : IClassifierBackend
{
    public nn.Module<Tensor, Tensor> Create(DryWetConfig config, string? weightsPath = null)
    {
        var net = EfficientNet.Create(config.Model);
        if (weightsPath is null)
        {
            progress.Message($"{config.Model.Architecture}: training from scratch (random weights).");
            return net;
        }

        try
        {
            var loaded = ModelWeights.LoadPretrained(net, weightsPath);
            progress.Message($"{config.Model.Architecture}: loaded {loaded} backbone tensors from {weightsPath}; new classifier head with {config.Model.NumClasses} outputs.");
            return net;
        }
        catch
        {
            net.Dispose();
            throw;
        }
    }

    public void ExportOnnx(nn.Module<Tensor, Tensor> model, DryWetConfig config, string onnxPath)
    {
        var net = model as EfficientNet ?? throw new ArgumentException($"Expected an EfficientNet, got {model.GetType().Name}.", nameof(model));
        net.eval();
        OnnxExporter.Export(net, imageSize: config.Training.ImgSize, path: onnxPath);
    }
}

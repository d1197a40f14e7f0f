using System.Globalization;
using DryWet.Core.Configuration;
using DryWet.TrainingWorker.Model;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace DryWet.TrainingWorker.Training;

/// <summary>
/// How the network's parts train. From scratch: everything at <c>learning_rate</c>. Fine-tuning pretrained weights
/// (the usual transfer-learning recipe): the new head at <c>learning_rate</c>, the backbone at
/// <c>backbone_lr_factor</c> × it (features already learned should move slowly), the backbone frozen for the first
/// <c>freeze_backbone_epochs</c> (the random head settles before its gradients reach pretrained layers), and
/// BatchNorm in eval mode when <c>batchnorm</c> is <c>frozen</c> — or <c>auto</c> with batches under
/// <see cref="SmallBatch"/>, whose batch statistics are too noisy to replace ImageNet's running statistics.
/// </summary>
public sealed class FineTuningRecipe
{
    /// <summary>Below this batch size, <c>training.batchnorm: auto</c> keeps pretrained BatchNorm statistics.</summary>
    public const int SmallBatch = 16;

    private readonly nn.Module<Tensor, Tensor> _model;
    private readonly IReadOnlyList<Parameter> _backbone;
    private readonly IReadOnlyList<Parameter> _head;
    private readonly IReadOnlyList<nn.Module> _backboneModules;

    private FineTuningRecipe(nn.Module<Tensor, Tensor> model, bool fineTuning, double backboneFactor, int freezeEpochs, bool freezeBatchNorm)
    {
        _model = model;
        FineTuning = fineTuning;
        BackboneFactor = fineTuning ? backboneFactor : 1.0;
        FreezeEpochs = fineTuning ? freezeEpochs : 0;
        FreezeBatchNorm = freezeBatchNorm;
        if (model is EfficientNet net)
        {
            _backbone = net.Features.parameters().ToList();
            _head = net.Classifier.parameters().ToList();
            _backboneModules = [net.Features];
        }
        else
        {
            _backbone = [];
            _head = model.parameters().ToList();
            _backboneModules = [];
        }
    }

    public bool FineTuning { get; }

    /// <summary>The backbone's learning rate relative to the head's (1 from scratch).</summary>
    public double BackboneFactor { get; }

    public int FreezeEpochs { get; }

    public bool FreezeBatchNorm { get; }

    public static FineTuningRecipe For(DryWetConfig config, nn.Module<Tensor, Tensor> model, bool fineTuning)
    {
        var t = config.Training;
        var freezeBn = t.Batchnorm switch
        {
            DryWetConfig.TrainingSection.BatchnormFrozen => true,
            DryWetConfig.TrainingSection.BatchnormTrain => false,
            _ => fineTuning && t.BatchSize < SmallBatch,
        };
        return new FineTuningRecipe(model, fineTuning, t.BackboneLrFactor, t.FreezeBackboneEpochs, freezeBn);
    }

    /// <summary>The optimizer: one AdamW group for the backbone and one for the head, so their rates can differ.</summary>
    public AdamWOptimizer CreateOptimizer(double learningRate, double weightDecay)
    {
        var groups = new List<(IReadOnlyList<Parameter>, double)>();
        if (_backbone.Count > 0)
        {
            groups.Add((_backbone, learningRate * BackboneFactor));
        }

        groups.Add((_head, learningRate));
        return new AdamWOptimizer(groups, weightDecay);
    }

    /// <summary>Sets every group's rate from the scheduler's (head) rate, keeping the backbone's factor.</summary>
    public void ApplyLearningRate(AdamWOptimizer optimizer, double headRate)
    {
        var count = optimizer.LearningRates.Count;
        for (var i = 0; i < count; i++)
        {
            optimizer.SetLearningRate(i, i == count - 1 ? headRate : headRate * BackboneFactor);
        }
    }

    /// <summary>Train mode, then the epoch's freezing: backbone frozen during warm-up, BatchNorm statistics kept when asked.</summary>
    public void EnterTrainingEpoch(int epoch, ITrainingProgress progress)
    {
        _model.train();
        var frozen = epoch <= FreezeEpochs;
        foreach (var p in _backbone)
        {
            p.requires_grad = !frozen;
        }

        if (frozen)
        {
            foreach (var module in _backboneModules)
            {
                module.eval(); // a frozen backbone also keeps its BatchNorm statistics and skips dropout paths
            }
        }
        else if (FreezeBatchNorm)
        {
            foreach (var bn in _model.modules().OfType<SafeBatchNorm2d>())
            {
                bn.eval();
            }
        }

        if (FreezeEpochs > 0 && epoch == FreezeEpochs + 1)
        {
            progress.Message($"Epoch {epoch}: backbone unfrozen (it was frozen for the first {FreezeEpochs} epoch(s)).");
        }
    }

    public string Describe() => FineTuning
        ? string.Create(CultureInfo.InvariantCulture,
            $"Fine-tuning: head at learning_rate, backbone at {BackboneFactor}× it; backbone frozen for {FreezeEpochs} epoch(s); BatchNorm {(FreezeBatchNorm ? "keeps its pretrained statistics" : "updates its statistics")}.")
        : $"Training from scratch: every layer at learning_rate; BatchNorm {(FreezeBatchNorm ? "statistics frozen (training.batchnorm: frozen)" : "updates its statistics")}.";
}

using YamlDotNet.Core;
using YamlDotNet.Serialization;
using YamlDotNet.Serialization.NamingConventions;

namespace DryWet.Core.Configuration;

/// <summary>
/// Typed view of the original platform's <c>config.yaml</c> (same keys), plus DryWet's additions
/// (<c>model.architecture</c>, <c>model.num_classes</c>, <c>model.dropout</c>, <c>mlflow.registered_model_name</c>).
/// Serving reads only <c>training.img_size</c> and <c>normalization</c>; the trainer reads all of it.
/// </summary>
public sealed class DryWetConfig
{
    public DataSection Data { get; set; } = new();
    public TrainingSection Training { get; set; } = new();
    public AugmentationSection Augmentation { get; set; } = new();
    public NormalizationSection Normalization { get; set; } = new();
    public ModelSection Model { get; set; } = new();
    public LossSection Loss { get; set; } = new();
    public SchedulerSection Scheduler { get; set; } = new();
    public EarlyStoppingSection EarlyStopping { get; set; } = new();
    public MlflowSection Mlflow { get; set; } = new();
    public EvaluationSection Evaluation { get; set; } = new();
    public int RandomSeed { get; set; } = 42;

    public sealed class DataSection
    {
        public string? DataPath { get; set; }
        public double TestSize { get; set; } = 0.2;
        public int RandomState { get; set; } = 42;
    }

    public sealed class TrainingSection
    {
        public int ImgSize { get; set; } = 224;
        public int BatchSize { get; set; } = 16;
        public int Epochs { get; set; } = 20;
        public double LearningRate { get; set; } = 1e-3;
        public double WeightDecay { get; set; } = 1e-4;
        public int NumWorkers { get; set; } = 2;
        /// <summary>Epochs at the start during which only the classifier head trains (the backbone is frozen). Fine-tuning warm-up; 0 = none.</summary>
        public int FreezeBackboneEpochs { get; set; }
        /// <summary>The backbone's learning rate as a fraction of <c>learning_rate</c> when starting from pretrained weights (the new head gets the full rate).</summary>
        public double BackboneLrFactor { get; set; } = 0.1;
        /// <summary><c>auto</c> (frozen when fine-tuning pretrained weights with batches under 16, else train), <c>train</c> or <c>frozen</c> (keep the running statistics).</summary>
        public string Batchnorm { get; set; } = BatchnormAuto;

        public const string BatchnormAuto = "auto";
        public const string BatchnormTrain = "train";
        public const string BatchnormFrozen = "frozen";
    }

    public sealed class AugmentationSection
    {
        public double HorizontalFlipProb { get; set; } = 0.5;
        public double RotationDegrees { get; set; } = 10;
        public double BrightnessRange { get; set; } = 0.2;
        public double ContrastRange { get; set; } = 0.2;
        public double SaturationRange { get; set; } = 0.2;
        /// <summary>Maximum absolute fraction of width and height for random translation (torchvision RandomAffine).</summary>
        public double[] Translate { get; set; } = [0.1, 0.1];
        /// <summary>Scale range [min, max] (torchvision RandomAffine).</summary>
        public double[] Scale { get; set; } = [0.9, 1.1];
    }

    public sealed class NormalizationSection
    {
        public float[] Mean { get; set; } = [0.485f, 0.456f, 0.406f];
        public float[] Std { get; set; } = [0.229f, 0.224f, 0.225f];
    }

    public sealed class ModelSection
    {
        /// <summary>efficientnet_b0 … efficientnet_b7 (default b3, as the original).</summary>
        public string Architecture { get; set; } = "efficientnet_b3";
        /// <summary>A torchvision state dict (.pth, torch.save zip), a .safetensors or a TorchSharp .dat file; wins over <see cref="Pretrained"/>.</summary>
        public string? PretrainedPath { get; set; }
        /// <summary><c>imagenet</c> (torchvision's IMAGENET1K_V1 weights, downloaded and cached) or <c>none</c> (from scratch); unset = <see cref="ResolvePretrained"/>.</summary>
        public string? Pretrained { get; set; }
        public int NumClasses { get; set; } = 2;
        public double Dropout { get; set; } = 0.5;

        public const string PretrainedImageNet = "imagenet";
        public const string PretrainedNone = "none";
        public const string TinyArchitecture = "efficientnet_tiny";

        /// <summary><c>model.pretrained</c>, or its default: <c>imagenet</c> for efficientnet_b0…b7, <c>none</c> for efficientnet_tiny (no published weights).</summary>
        public string ResolvePretrained() =>
            Pretrained ?? (string.Equals(Architecture, TinyArchitecture, StringComparison.OrdinalIgnoreCase) ? PretrainedNone : PretrainedImageNet);

        /// <summary>True when training starts from pretrained weights (a local file or ImageNet), i.e. fine-tuning.</summary>
        public bool StartsFromPretrainedWeights() =>
            !string.IsNullOrWhiteSpace(PretrainedPath) || ResolvePretrained() == PretrainedImageNet;
    }

    public sealed class LossSection
    {
        public double FocalLossGamma { get; set; } = 2.0;
    }

    public sealed class SchedulerSection
    {
        /// <summary>"max" (val_acc, as the original) or "min".</summary>
        public string Mode { get; set; } = "max";
        public double Factor { get; set; } = 0.5;
        public int Patience { get; set; } = 3;
    }

    public sealed class EarlyStoppingSection
    {
        public int Patience { get; set; } = 5;
        public double MinDelta { get; set; } = 0.001;
    }

    public sealed class MlflowSection
    {
        public string ExperimentName { get; set; } = "dry_wet_classification";
        public string RegisteredModelName { get; set; } = "dry_wet_model";
    }

    /// <summary>The promotion gate's thresholds (docs/loop.md): a challenger replaces the champion only when it is at least as good.</summary>
    public sealed class EvaluationSection
    {
        /// <summary>Accuracy the challenger must gain over the champion on the same images (0: at least as good).</summary>
        public double MinImprovement { get; set; }

        /// <summary>Absolute floor: a challenger below it is never promoted, not even as the first model.</summary>
        public double MinAccuracy { get; set; }

        /// <summary>The live gate's significance level: the paired test on reviewed requests must reach p below it (issue 18).</summary>
        public double LiveAlpha { get; set; } = 0.05;

        /// <summary>Reviewed requests that both champion and shadow answered before the live gate decides anything.</summary>
        public int LiveMinReviews { get; set; } = 50;

        /// <summary>Largest accuracy drop (fraction, 0.005 = 0.5 points) the INT8 graph may have against fp32 and still be served.</summary>
        public double MaxQuantizationDrop { get; set; } = 0.005;
    }

    /// <summary>Serving's fallback when a package has no config.yaml: 224 px, ImageNet mean/std (as the original).</summary>
    public static DryWetConfig Default => new();

    private static readonly IDeserializer Deserializer = new DeserializerBuilder()
        .WithNamingConvention(UnderscoredNamingConvention.Instance)
        .IgnoreUnmatchedProperties() // unknown keys are reported by YamlKeyChecker, together with every other error
        .Build();

    private static readonly ISerializer Serializer = new SerializerBuilder()
        .WithNamingConvention(UnderscoredNamingConvention.Instance)
        .DisableAliases()
        .Build();

    /// <summary>Loads and validates a config file. Throws <see cref="DryWetException"/> naming the file and the key.</summary>
    public static DryWetConfig Load(string path)
    {
        if (!File.Exists(path))
        {
            throw new DryWetException($"Config file '{path}' does not exist.");
        }

        return Parse(File.ReadAllText(path), path);
    }

    /// <summary>Parses and validates YAML text. <paramref name="source"/> names it in error messages.</summary>
    public static DryWetConfig Parse(string yaml, string source = "config.yaml")
    {
        DryWetConfig? config;
        try
        {
            config = Deserializer.Deserialize<DryWetConfig?>(yaml);
        }
        catch (YamlException ex)
        {
            var inner = ex.InnerException?.Message ?? ex.Message;
            throw new DryWetException(
                $"{source}: invalid value at line {ex.Start.Line}, column {ex.Start.Column}: {inner}", ex);
        }

        config ??= new DryWetConfig();
        var errors = YamlKeyChecker.UnknownKeys(yaml, typeof(DryWetConfig)).Concat(config.Validate()).ToList();
        if (errors.Count > 0)
        {
            throw new DryWetException($"{source} is invalid:{Environment.NewLine}  - " + string.Join(Environment.NewLine + "  - ", errors));
        }

        return config;
    }

    public string ToYaml() => Serializer.Serialize(this);

    /// <summary>Every problem found, each naming the key and the value.</summary>
    public IReadOnlyList<string> Validate()
    {
        var errors = new List<string>();
        void Require(bool ok, string key, object? value, string rule)
        {
            if (!ok)
            {
                errors.Add($"{key} = {Format(value)}: {rule}");
            }
        }

        Require(Data.TestSize is > 0 and < 1, "data.test_size", Data.TestSize, "must be between 0 and 1 (exclusive)");
        Require(Training.ImgSize is >= 16 and <= 2048, "training.img_size", Training.ImgSize, "must be between 16 and 2048 pixels");
        Require(Training.BatchSize >= 1, "training.batch_size", Training.BatchSize, "must be at least 1");
        Require(Training.Epochs >= 1, "training.epochs", Training.Epochs, "must be at least 1");
        Require(Training.LearningRate is > 0 and < 10, "training.learning_rate", Training.LearningRate, "must be positive (typically 1e-4 to 1e-2)");
        Require(Training.WeightDecay >= 0, "training.weight_decay", Training.WeightDecay, "must be 0 or positive");
        Require(Training.NumWorkers >= 0, "training.num_workers", Training.NumWorkers, "must be 0 or positive");
        Require(Training.FreezeBackboneEpochs >= 0 && Training.FreezeBackboneEpochs < Math.Max(1, Training.Epochs), "training.freeze_backbone_epochs", Training.FreezeBackboneEpochs, "must be 0 or positive and less than training.epochs");
        Require(Training.BackboneLrFactor is > 0 and <= 1, "training.backbone_lr_factor", Training.BackboneLrFactor, "must be in (0, 1]: the backbone's share of learning_rate when fine-tuning");
        Require(Training.Batchnorm is TrainingSection.BatchnormAuto or TrainingSection.BatchnormTrain or TrainingSection.BatchnormFrozen, "training.batchnorm", Training.Batchnorm, "must be 'auto', 'train' or 'frozen'");
        Require(Augmentation.HorizontalFlipProb is >= 0 and <= 1, "augmentation.horizontal_flip_prob", Augmentation.HorizontalFlipProb, "must be a probability in [0, 1]");
        Require(Augmentation.RotationDegrees is >= 0 and <= 180, "augmentation.rotation_degrees", Augmentation.RotationDegrees, "must be in [0, 180]");
        Require(Augmentation.BrightnessRange is >= 0 and <= 1, "augmentation.brightness_range", Augmentation.BrightnessRange, "must be in [0, 1]");
        Require(Augmentation.ContrastRange is >= 0 and <= 1, "augmentation.contrast_range", Augmentation.ContrastRange, "must be in [0, 1]");
        Require(Augmentation.SaturationRange is >= 0 and <= 1, "augmentation.saturation_range", Augmentation.SaturationRange, "must be in [0, 1]");
        Require(Augmentation.Translate is { Length: 2 } t && t.All(v => v is >= 0 and <= 1), "augmentation.translate", Augmentation.Translate, "must be two fractions [x, y] in [0, 1]");
        Require(Augmentation.Scale is { Length: 2 } s && s[0] > 0 && s[0] <= s[1], "augmentation.scale", Augmentation.Scale, "must be [min, max] with 0 < min <= max");
        Require(Normalization.Mean is { Length: 3 }, "normalization.mean", Normalization.Mean, "must have 3 values (R, G, B)");
        Require(Normalization.Std is { Length: 3 } sd && sd.All(v => v > 0), "normalization.std", Normalization.Std, "must have 3 positive values (R, G, B)");
        Require(Model.NumClasses >= 2, "model.num_classes", Model.NumClasses, "must be at least 2");
        Require(Model.Dropout is >= 0 and < 1, "model.dropout", Model.Dropout, "must be in [0, 1)");
        Require(!string.IsNullOrWhiteSpace(Model.Architecture), "model.architecture", Model.Architecture, "must name a variant, e.g. efficientnet_b3");
        Require(Model.Pretrained is null or ModelSection.PretrainedImageNet or ModelSection.PretrainedNone, "model.pretrained", Model.Pretrained, "must be 'imagenet' (download torchvision's weights) or 'none' (train from scratch)");
        Require(Loss.FocalLossGamma >= 0, "loss.focal_loss_gamma", Loss.FocalLossGamma, "must be 0 or positive");
        Require(Scheduler.Mode is "max" or "min", "scheduler.mode", Scheduler.Mode, "must be 'max' or 'min'");
        Require(Scheduler.Factor is > 0 and < 1, "scheduler.factor", Scheduler.Factor, "must be between 0 and 1 (exclusive)");
        Require(Scheduler.Patience >= 0, "scheduler.patience", Scheduler.Patience, "must be 0 or positive");
        Require(EarlyStopping.Patience >= 1, "early_stopping.patience", EarlyStopping.Patience, "must be at least 1");
        Require(EarlyStopping.MinDelta >= 0, "early_stopping.min_delta", EarlyStopping.MinDelta, "must be 0 or positive");
        Require(Evaluation.MinImprovement is >= -1 and <= 1, "evaluation.min_improvement", Evaluation.MinImprovement, "must be an accuracy difference in [-1, 1] (0: the challenger must be at least as good as the champion)");
        Require(Evaluation.MinAccuracy is >= 0 and <= 1, "evaluation.min_accuracy", Evaluation.MinAccuracy, "must be an accuracy in [0, 1]");
        Require(Evaluation.LiveAlpha is > 0 and < 1, "evaluation.live_alpha", Evaluation.LiveAlpha, "must be a significance level between 0 and 1 (exclusive), e.g. 0.05");
        Require(Evaluation.LiveMinReviews >= 1, "evaluation.live_min_reviews", Evaluation.LiveMinReviews, "must be at least 1");
        Require(Evaluation.MaxQuantizationDrop is >= 0 and <= 1, "evaluation.max_quantization_drop", Evaluation.MaxQuantizationDrop, "must be an accuracy difference in [0, 1] (0.005 = 0.5 points)");
        Require(!string.IsNullOrWhiteSpace(Mlflow.ExperimentName), "mlflow.experiment_name", Mlflow.ExperimentName, "must not be empty");
        Require(!string.IsNullOrWhiteSpace(Mlflow.RegisteredModelName), "mlflow.registered_model_name", Mlflow.RegisteredModelName, "must not be empty");
        return errors;
    }

    private static string Format(object? value) => value switch
    {
        null => "(missing)",
        string s => $"'{s}'",
        System.Collections.IEnumerable e => "[" + string.Join(", ", e.Cast<object>()) + "]",
        _ => Convert.ToString(value, System.Globalization.CultureInfo.InvariantCulture) ?? "",
    };
}

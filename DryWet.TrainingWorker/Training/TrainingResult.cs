using DryWet.Core.Registry;
using DryWet.TrainingWorker.Data;
using DryWet.TrainingWorker.Promotion;

namespace DryWet.TrainingWorker.Training;

/// <summary>What <c>train</c> produced: the hook for registration/promotion (the original registers the run's "model").</summary>
/// <param name="PackageDirectory">The written model package (ModelPackage layout).</param>
/// <param name="BestValAcc">Best validation accuracy (also in metrics.json and the tracker as best_val_acc).</param>
/// <param name="RunId">The tracker's run id.</param>
/// <param name="ArtifactUri">The run's artifact URI; the logged model is at <c>ArtifactUri + "/" + ModelArtifactPath</c>.</param>
/// <param name="ModelArtifactPath">Artifact path of the logged model package ("model", as the original).</param>
/// <param name="Baseline">The majority-class accuracy on the same validation images.</param>
public sealed record TrainingResult(
    string PackageDirectory,
    double BestValAcc,
    string RunId,
    string ArtifactUri,
    string ModelArtifactPath,
    IReadOnlyList<EpochMetrics> History,
    int TrainSamples,
    int ValidationSamples,
    IReadOnlyList<SkippedFile> SkippedFiles,
    TimeSpan Duration,
    MajorityBaseline Baseline)
{
    /// <summary>False when the model is no better than always answering the most common class.</summary>
    public bool BeatsMajorityClass => Baseline.IsBeatenBy(BestValAcc);

    /// <summary>The gate's decision; null when the run was not registered.</summary>
    public PromotionDecision? Promotion { get; init; }

    /// <summary>The registered version after the gate (aliases and stage as they ended up); null when not registered.</summary>
    public ModelVersion? RegisteredVersion { get; init; }

    /// <summary>The LoggedModel the run logged (MLflow ≥ 3 and embedded); null against MLflow 2.</summary>
    public string? ModelId { get; init; }

    /// <summary>The LoggedModel's own artifact location; null against MLflow 2.</summary>
    public string? ModelArtifactUri { get; init; }

    /// <summary>What to register: the LoggedModel's files (MLflow ≥ 3, as register_model("models:/&lt;id&gt;") stores them), else the run's model/.</summary>
    public string ModelSource => ModelArtifactUri ?? ArtifactUri.TrimEnd('/') + "/" + ModelArtifactPath;
}

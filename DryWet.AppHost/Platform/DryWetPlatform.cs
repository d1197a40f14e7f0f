using DryWet.AppHost.Minio;
using DryWet.AppHost.Mlflow;
using DryWet.AppHost.Serving;
using DryWet.AppHost.Trainer;
using DryWet.Core;
using DryWet.Core.Platform;

namespace DryWet.AppHost.Platform;

/// <summary>
/// The backing services trainer and serving use: MinIO + MLflow containers, or (embedded mode) one local folder
/// that both processes share through the embedded adapters.
/// </summary>
public sealed class DryWetPlatform
{
    public const string DataBucket = PlatformNames.DataBucket;
    public const string ModelsBucket = PlatformNames.ModelsBucket;
    public const string SampleDataObject = PlatformNames.DatasetObject;

    /// <summary>Configuration key of the embedded platform's folder (env <c>DryWet__Home</c>), shared with the services.</summary>
    public const string HomeConfigurationKey = DryWetHome.ConfigurationKey;

    public required PlatformModeDecision Decision { get; init; }

    public PlatformMode Mode => Decision.Mode;

    /// <summary>The local folder of the embedded platform; also where the trainer reads its dataset in every run mode.</summary>
    public required string Home { get; init; }

    /// <summary>The AppHost's <c>DryWet:*</c> settings, bound and checked at start.</summary>
    public DryWetSettings Settings { get; init; } = new();

    /// <summary>Extra arguments of the trainer's <c>sample-data</c> command (<c>DryWet:SampleData:Count</c>, <c>:Size</c>).</summary>
    public IReadOnlyList<string> SampleDataArguments => Settings.SampleData.Arguments();

    public IResourceBuilder<MinioResource>? Minio { get; init; }

    public IResourceBuilder<MlflowResource>? Mlflow { get; init; }

    /// <summary>
    /// The model package the trainer also writes locally (replaced atomically by each run); serving does not read it:
    /// it resolves the registered model (alias <c>production</c>) from the registry, as on the platform.
    /// </summary>
    public string TrainerOutputPath => Path.Combine(Home, "models", "latest");

    /// <summary>The fixed evaluation set the promotion gate judges every model on (<c>ml-data/eval/</c>), written once by "Load sample data".</summary>
    public string EvaluationSetPath => Path.Combine(Home, "objects", DataBucket, PlatformNames.EvaluationPrefix.TrimEnd('/'));

    /// <summary>Where the sample dataset lands locally: the embedded store's <c>ml-data</c> bucket.</summary>
    public string SampleDataPath => Path.Combine(Home, "objects", DataBucket, SampleDataObject);
}

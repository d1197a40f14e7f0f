namespace DryWet.Core.Tracking;

/// <summary>
/// A dataset a run consumed, as MLflow's <c>runs/log-inputs</c> records it (service.proto <c>Dataset</c> plus the
/// input tag <c>mlflow.data.context</c>): the run page's "Datasets used" and the experiment's dataset filter show it.
/// </summary>
/// <param name="Name">Shown in the UI, e.g. "dry-wet-data".</param>
/// <param name="Digest">A short content hash (MLflow's own digests are 8–10 hex characters; at most 36).</param>
/// <param name="SourceType">Where it came from: "local", "s3", "http", …</param>
/// <param name="Source">JSON naming the source, e.g. <c>{"uri": "s3://ml-data/dry-wet-data.zip"}</c>.</param>
/// <param name="Schema">JSON schema (MLflow's <c>mlflow_tensorspec</c> for tensor data), or null.</param>
/// <param name="Profile">JSON summary (counts per class, splits), or null.</param>
/// <param name="Context">The <c>mlflow.data.context</c> tag: "training", "validation", "evaluation".</param>
public sealed record TrackedDataset(string Name, string Digest, string SourceType, string Source, string? Schema,
    string? Profile, string Context = TrackedDataset.TrainingContext)
{
    public const string TrainingContext = "training";
    public const string ContextTag = "mlflow.data.context";

    // mlflow/utils/validation.py: MAX_DATASET_NAME_SIZE, MAX_DATASET_DIGEST_SIZE, MAX_DATASET_SCHEMA_SIZE,
    // MAX_DATASET_SOURCE_SIZE, MAX_DATASET_PROFILE_SIZE, MAX_INPUT_TAG_VALUE_SIZE.
    public const int MaxNameLength = 500;
    public const int MaxDigestLength = 36;
    public const int MaxSchemaLength = 1048575;
    public const int MaxSourceLength = 65535;
    public const int MaxProfileLength = 16384;
    public const int MaxContextLength = 500;

    /// <summary>Throws naming the field and its value when MLflow would refuse the dataset.</summary>
    public void Validate()
    {
        Check("name", Name, MaxNameLength, required: true);
        Check("digest", Digest, MaxDigestLength, required: true);
        Check("source_type", SourceType, MaxNameLength, required: true);
        Check("source", Source, MaxSourceLength, required: true);
        Check("schema", Schema, MaxSchemaLength, required: false);
        Check("profile", Profile, MaxProfileLength, required: false);
        Check(ContextTag, Context, MaxContextLength, required: true);
    }

    private void Check(string field, string? value, int max, bool required)
    {
        if (required && string.IsNullOrWhiteSpace(value))
        {
            throw new DryWetException($"Dataset '{Name}': {field} is empty; MLflow requires it.");
        }

        if (value is not null && value.Length > max)
        {
            throw new DryWetException($"Dataset '{Name}': {field} has {value.Length} characters; MLflow accepts at most {max}.");
        }
    }
}

using System.Text.Json.Serialization;

// MLflow REST 2.0 wire types (mlflow/protos/service.proto, model_registry.proto, mlflow_artifacts.proto).
// Serialized with MlflowJson.Options: snake_case names, int64 read from numbers or strings, unknown fields ignored
// (MLflow 3 adds optional fields), nulls left out of requests.
namespace DryWet.Core.Tracking.Mlflow;

public sealed record MlflowTag(string Key, string Value);

public sealed record MlflowParam(string Key, string Value);

public sealed record MlflowMetric(string Key, double Value, long Timestamp, long Step);

public sealed record MlflowExperiment(
    string ExperimentId,
    string Name,
    string? ArtifactLocation,
    string? LifecycleStage,
    long? CreationTime,
    long? LastUpdateTime,
    IReadOnlyList<MlflowTag>? Tags);

public sealed record MlflowRunInfo(
    string RunId,
    string? RunName,
    string ExperimentId,
    string Status,
    long? StartTime,
    long? EndTime,
    string ArtifactUri,
    string? LifecycleStage,
    string? UserId);

public sealed record MlflowRunData(
    IReadOnlyList<MlflowMetric>? Metrics,
    IReadOnlyList<MlflowParam>? Params,
    IReadOnlyList<MlflowTag>? Tags);

public sealed record MlflowRun(MlflowRunInfo Info, MlflowRunData? Data, MlflowRunInputs? Inputs = null, MlflowRunOutputs? Outputs = null);

public sealed record MlflowFileInfo(string Path, bool IsDir, long? FileSize);

public sealed record MlflowRegisteredModelAlias(string Alias, string Version);

public sealed record MlflowRegisteredModel(
    string Name,
    long? CreationTimestamp,
    long? LastUpdatedTimestamp,
    string? Description,
    IReadOnlyList<MlflowModelVersion>? LatestVersions,
    IReadOnlyList<MlflowTag>? Tags,
    IReadOnlyList<MlflowRegisteredModelAlias>? Aliases);

public sealed record MlflowModelVersion(
    string Name,
    string Version,
    long? CreationTimestamp,
    long? LastUpdatedTimestamp,
    string? CurrentStage,
    string? Description,
    string? Source,
    string? RunId,
    string? Status,
    string? StatusMessage,
    IReadOnlyList<string>? Aliases,
    IReadOnlyList<MlflowTag>? Tags = null,
    // The file-store registry's model_id (embedded meta.yaml). MLflow 3.9's REST answers never carry it (its
    // ModelVersion.to_proto leaves model_id out); the link shows on the LoggedModel's mlflow.modelVersions tag.
    string? ModelId = null);

/// <summary>MLflow's run status names (RunStatus enum).</summary>
public static class MlflowRunStatus
{
    public const string Running = "RUNNING";
    public const string Finished = "FINISHED";
    public const string Failed = "FAILED";
    public const string Killed = "KILLED";
}

/// <summary>MLflow's model version status names (ModelVersionStatus enum).</summary>
public static class MlflowModelVersionStatus
{
    public const string PendingRegistration = "PENDING_REGISTRATION";
    public const string FailedRegistration = "FAILED_REGISTRATION";
    public const string Ready = "READY";
}

// Request and response envelopes.
internal sealed record GetExperimentResponse(MlflowExperiment Experiment);
internal sealed record CreateExperimentRequest(string Name, string? ArtifactLocation, IReadOnlyList<MlflowTag>? Tags);
internal sealed record CreateExperimentResponse(string ExperimentId);
internal sealed record CreateRunRequest(string ExperimentId, string? RunName, long StartTime, IReadOnlyList<MlflowTag> Tags);
internal sealed record RunResponse(MlflowRun Run);
internal sealed record UpdateRunRequest(string RunId, string Status, long? EndTime);
internal sealed record UpdateRunResponse(MlflowRunInfo RunInfo);
internal sealed record LogBatchRequest(string RunId, IReadOnlyList<MlflowMetric> Metrics, IReadOnlyList<MlflowParam> Params, IReadOnlyList<MlflowTag> Tags);
internal sealed record SetTagRequest(string RunId, string Key, string Value);
internal sealed record LogModelRequest(string RunId, string ModelJson);
internal sealed record MetricHistoryResponse(IReadOnlyList<MlflowMetric>? Metrics, string? NextPageToken);
internal sealed record ProxyListResponse(IReadOnlyList<MlflowFileInfo>? Files);
internal sealed record RegisteredModelRequest(string Name, string? Description);
internal sealed record RegisteredModelResponse(MlflowRegisteredModel RegisteredModel);
internal sealed record CreateModelVersionRequest(string Name, string Source, string? RunId, string? Description, string? ModelId);
internal sealed record ModelVersionResponse(MlflowModelVersion ModelVersion);
internal sealed record ModelVersionsResponse(IReadOnlyList<MlflowModelVersion>? ModelVersions);
internal sealed record ModelVersionsPage(IReadOnlyList<MlflowModelVersion>? ModelVersions, string? NextPageToken);
internal sealed record GetLatestVersionsRequest(string Name, IReadOnlyList<string> Stages);
internal sealed record TransitionStageRequest(string Name, string Version, string Stage, bool ArchiveExistingVersions);
internal sealed record SetAliasRequest(string Name, string Alias, string Version);
internal sealed record DeleteAliasRequest(string Name, string Alias);

internal sealed record SetModelVersionTagRequest(string Name, string Version, string Key, string Value);
internal sealed record UpdateModelVersionRequest(string Name, string Version, string Description);
internal sealed record DeleteModelVersionRequest(string Name, string Version);
internal sealed record DownloadUriResponse(string ArtifactUri);

internal sealed record MlflowErrorBody(
    [property: JsonPropertyName("error_code")] string? ErrorCode,
    [property: JsonPropertyName("message")] string? Message);

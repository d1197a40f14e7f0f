// MLflow REST wire types for datasets (runs/log-inputs, since 2.4) and LoggedModels (logged-models, runs/outputs, since
// 3.0): mlflow/protos/service.proto Dataset, DatasetInput, InputTag, LoggedModel{Info,Data}, ModelOutput, LogOutputs.
namespace DryWet.Core.Tracking.Mlflow;

public sealed record MlflowDataset(string Name, string Digest, string SourceType, string Source, string? Schema, string? Profile);

public sealed record MlflowInputTag(string Key, string Value);

public sealed record MlflowDatasetInput(IReadOnlyList<MlflowInputTag>? Tags, MlflowDataset Dataset);

public sealed record MlflowRunInputs(IReadOnlyList<MlflowDatasetInput>? DatasetInputs);

public sealed record MlflowModelOutput(string ModelId, long Step);

public sealed record MlflowRunOutputs(IReadOnlyList<MlflowModelOutput>? ModelOutputs);

public sealed record MlflowLoggedModelInfo(
    string ModelId,
    string ExperimentId,
    string Name,
    long? CreationTimestampMs,
    long? LastUpdatedTimestampMs,
    string ArtifactUri,
    string Status,
    string? ModelType,
    string? SourceRunId,
    string? StatusMessage,
    IReadOnlyList<MlflowTag>? Tags);

public sealed record MlflowLoggedModelData(IReadOnlyList<MlflowParam>? Params, IReadOnlyList<MlflowMetric>? Metrics);

public sealed record MlflowLoggedModel(MlflowLoggedModelInfo Info, MlflowLoggedModelData? Data);

/// <summary>MLflow's LoggedModelStatus names.</summary>
public static class MlflowLoggedModelStatus
{
    public const string Pending = "LOGGED_MODEL_PENDING";
    public const string Ready = "LOGGED_MODEL_READY";
    public const string UploadFailed = "LOGGED_MODEL_UPLOAD_FAILED";
}

internal sealed record LogInputsRequest(string RunId, IReadOnlyList<MlflowDatasetInput> Datasets);
internal sealed record CreateLoggedModelRequest(string ExperimentId, string Name, string? ModelType, string? SourceRunId,
    IReadOnlyList<MlflowParam>? Params, IReadOnlyList<MlflowTag>? Tags);
internal sealed record FinalizeLoggedModelRequest(string ModelId, string Status);
internal sealed record LoggedModelResponse(MlflowLoggedModel Model);
internal sealed record LogOutputsRequest(string RunId, IReadOnlyList<MlflowModelOutput> Models);

using System.Text.Json.Nodes;
using System.Text.Json.Serialization;

namespace DryWet.TrainingWorker.Pipelines;

// The v2beta1 messages this client sends and reads (backend/api/v2beta1/*.proto). Requests carry only fields the
// server knows (it rejects unknown ones); responses may carry more, which are ignored. Names are snake_case.

/// <summary>Both healthz shapes: the API server's and the one the UI answers through the /pipeline proxy.</summary>
public sealed record KubeflowHealth
{
    public string? CommitSha { get; init; }
    public string? TagName { get; init; }
    public bool? MultiUser { get; init; }
    public string? PipelineStore { get; init; }

    [JsonPropertyName("apiServerTagName")] public string? ApiServerTagName { get; init; }
    [JsonPropertyName("apiServerMultiUser")] public bool? ApiServerMultiUser { get; init; }
    [JsonPropertyName("apiServerReady")] public bool? ApiServerReady { get; init; }

    [JsonIgnore] public string Version => TagName ?? ApiServerTagName ?? "unknown";
    [JsonIgnore] public bool IsMultiUser => MultiUser ?? ApiServerMultiUser ?? false;
    /// <summary>Only the UI shape says whether the API server behind it is ready; the API server answering means it is.</summary>
    [JsonIgnore] public bool IsReady => ApiServerReady ?? true;
}

public sealed record KubeflowExperiment
{
    public string? ExperimentId { get; init; }
    public string? DisplayName { get; init; }
    public string? Description { get; init; }
    public string? Namespace { get; init; }
    public string? StorageState { get; init; }
}

public sealed record KubeflowExperimentList
{
    public List<KubeflowExperiment>? Experiments { get; init; }
    public int? TotalSize { get; init; }
    public string? NextPageToken { get; init; }
}

/// <summary>POST /apis/v2beta1/experiments body (the Experiment itself).</summary>
public sealed record KubeflowCreateExperimentRequest(string DisplayName, string? Description, string? Namespace);

/// <summary>POST /apis/v2beta1/runs body (the Run itself), the input fields only.</summary>
public sealed record KubeflowCreateRunRequest(
    string DisplayName,
    string ExperimentId,
    JsonObject PipelineSpec,
    RuntimeConfig RuntimeConfig,
    string? Description = null);

public sealed record RuntimeConfig(JsonObject Parameters);

public sealed record KubeflowRun
{
    public string? RunId { get; init; }
    public string? ExperimentId { get; init; }
    public string? DisplayName { get; init; }
    public string? State { get; init; }
    public KubeflowStatus? Error { get; init; }
    public DateTimeOffset? CreatedAt { get; init; }
    public DateTimeOffset? FinishedAt { get; init; }
    public KubeflowRunDetails? RunDetails { get; init; }
}

public sealed record KubeflowRunDetails
{
    public List<KubeflowTaskDetail>? TaskDetails { get; init; }
}

/// <summary>One task of a run (PipelineTaskDetail); the driver and root DAG appear as tasks too.</summary>
public sealed record KubeflowTaskDetail
{
    public string? DisplayName { get; init; }
    public string? State { get; init; }
    public KubeflowStatus? Error { get; init; }
}

/// <summary>google.rpc.Status as the run's <c>error</c> field carries it.</summary>
public sealed record KubeflowStatus
{
    public int? Code { get; init; }
    public string? Message { get; init; }
}

/// <summary>The run states that end a run (RuntimeState enum); the SDK's wait misses CANCELED, this does not.</summary>
public static class KubeflowRunStates
{
    public const string Succeeded = "SUCCEEDED";
    public const string Skipped = "SKIPPED";
    public const string Failed = "FAILED";
    public const string Canceled = "CANCELED";

    public static bool IsTerminal(string? state) => state is Succeeded or Skipped or Failed or Canceled;
}

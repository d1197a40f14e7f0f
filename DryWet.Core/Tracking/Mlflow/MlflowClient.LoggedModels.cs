using System.Text.Json;

namespace DryWet.Core.Tracking.Mlflow;

// Datasets (runs/log-inputs) and MLflow 3's LoggedModels: POST logged-models, PATCH logged-models/{id} (finalize),
// GET logged-models/{id}, POST logged-models/search, POST runs/outputs. A 2.x server has no such routes and answers
// 404 with its web framework's HTML page, which ParseError maps to ENDPOINT_NOT_FOUND (see IsEndpointNotFound).
public sealed partial class MlflowClient
{
    public const string EndpointNotFound = "ENDPOINT_NOT_FOUND";

    /// <summary>True when the server does not know the route at all (an older MLflow), as opposed to a missing resource.</summary>
    public static bool IsEndpointNotFound(MlflowException ex) => ex.ErrorCode == EndpointNotFound;

    /// <summary>Records datasets as the run's inputs. Retry-safe: the stores keep one input per (dataset, run).</summary>
    public Task LogInputsAsync(string runId, IReadOnlyList<MlflowDatasetInput> datasets, CancellationToken cancellationToken = default) =>
        PostAsync<JsonElement>("runs/log-inputs", new LogInputsRequest(runId, datasets), retrySafe: true, cancellationToken);

    /// <summary>Creates a LoggedModel in LOGGED_MODEL_PENDING. Not retry-safe: a repeat would create a second model.</summary>
    public async Task<MlflowLoggedModel> CreateLoggedModelAsync(string experimentId, string name, string? sourceRunId,
        string? modelType = null, IReadOnlyList<MlflowParam>? parameters = null, IReadOnlyList<MlflowTag>? tags = null,
        CancellationToken cancellationToken = default) =>
        (await PostAsync<LoggedModelResponse>("logged-models",
            new CreateLoggedModelRequest(experimentId, name, modelType, sourceRunId, parameters, tags), retrySafe: false, cancellationToken)).Model;

    /// <summary>Sets the final status (LOGGED_MODEL_READY once its files are uploaded, or LOGGED_MODEL_UPLOAD_FAILED).</summary>
    public async Task<MlflowLoggedModel> FinalizeLoggedModelAsync(string modelId, string status, CancellationToken cancellationToken = default) =>
        (await SendJsonAsync<LoggedModelResponse>(HttpMethod.Patch, $"{Api}logged-models/{Q(modelId)}",
            new FinalizeLoggedModelRequest(modelId, status), retrySafe: true, "logged-models finalize", cancellationToken)).Model;

    public async Task<MlflowLoggedModel> GetLoggedModelAsync(string modelId, CancellationToken cancellationToken = default) =>
        (await GetAsync<LoggedModelResponse>($"logged-models/{Q(modelId)}", "logged-models get", cancellationToken)).Model;

    /// <summary>Links LoggedModels to the run as its outputs (the run page's "Logged models" box). Retry-safe.</summary>
    public Task LogOutputsAsync(string runId, IReadOnlyList<MlflowModelOutput> models, CancellationToken cancellationToken = default) =>
        PostAsync<JsonElement>("runs/outputs", new LogOutputsRequest(runId, models), retrySafe: true, cancellationToken);
}

using System.Net;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace DryWet.Core.Tracking.Mlflow;

/// <summary>
/// A typed client for MLflow's REST API 2.0 (tracking, artifact proxy, model registry). No .NET library exists, so this
/// is the one DryWet owns. Wire facts: docs/reference/kfp-mlflow-rest.md §4. Every JSON call sends
/// <c>Content-Type: application/json</c>; errors become <see cref="MlflowException"/> (server answered) or
/// <see cref="MlflowUnavailableException"/> (it did not). Retries live in the HttpClient pipeline
/// (<c>AddMlflowClient</c>) and follow <see cref="MlflowRetryPolicy"/>; calls mark themselves retry-safe here.
/// </summary>
public sealed partial class MlflowClient
{
    /// <summary>MLflow's per-request limits for runs/log-batch (mlflow/utils/validation.py).</summary>
    public const int MaxMetricsPerBatch = 1000;
    public const int MaxParamsPerBatch = 100;
    public const int MaxTagsPerBatch = 100;
    public const int MaxEntitiesPerBatch = 1000;

    /// <summary>Points per metrics/get-history page: MLflow's client's GET_METRIC_HISTORY_MAX_RESULTS.</summary>
    public const int MetricHistoryPageSize = 25000;

    private const string Api = "api/2.0/mlflow/";
    private readonly HttpClient _http;
    private readonly ILogger<MlflowClient> _logger;

    public MlflowClient(HttpClient http, IOptions<MlflowClientOptions>? options = null, ILogger<MlflowClient>? logger = null)
    {
        _http = http;
        Options = options?.Value ?? new MlflowClientOptions();
        _logger = logger ?? NullLogger<MlflowClient>.Instance;
        if (http.BaseAddress is null)
        {
            throw new DryWetException("The MLflow HttpClient has no BaseAddress. Set ConnectionStrings:mlflow (e.g. Endpoint=http://mlflow:5000).");
        }

        if (!http.BaseAddress.AbsoluteUri.EndsWith('/'))
        {
            http.BaseAddress = new Uri(http.BaseAddress.AbsoluteUri + "/");
        }
    }

    public Uri BaseAddress => _http.BaseAddress!;

    public MlflowClientOptions Options { get; }

    // ---- Experiments -------------------------------------------------------------------------------------------

    /// <summary>The experiment with this name, or null when there is none.</summary>
    public async Task<MlflowExperiment?> GetExperimentByNameAsync(string name, CancellationToken cancellationToken = default)
    {
        try
        {
            var response = await GetAsync<GetExperimentResponse>($"experiments/get-by-name?experiment_name={Q(name)}", "experiments/get-by-name", cancellationToken);
            return response.Experiment;
        }
        catch (MlflowException ex) when (ex.IsNotFound)
        {
            return null;
        }
    }

    public async Task<string> CreateExperimentAsync(string name, string? artifactLocation = null, CancellationToken cancellationToken = default)
    {
        var response = await PostAsync<CreateExperimentResponse>("experiments/create",
            new CreateExperimentRequest(name, artifactLocation, null), retrySafe: true, cancellationToken);
        return response.ExperimentId;
    }

    /// <summary>Gets the experiment by name, creating it when missing (a concurrent creator's RESOURCE_ALREADY_EXISTS is fine).</summary>
    public async Task<MlflowExperiment> GetOrCreateExperimentAsync(string name, CancellationToken cancellationToken = default)
    {
        var existing = await GetExperimentByNameAsync(name, cancellationToken);
        if (existing is not null)
        {
            if (existing.LifecycleStage == "deleted")
            {
                throw new DryWetException($"MLflow experiment '{name}' is deleted. Restore it in the MLflow UI or choose another mlflow.experiment_name.");
            }

            return existing;
        }

        try
        {
            await CreateExperimentAsync(name, cancellationToken: cancellationToken);
            _logger.LogInformation("Created MLflow experiment {Experiment}", name);
        }
        catch (MlflowException ex) when (ex.IsAlreadyExists)
        {
            // Someone else created it between our get and create.
        }

        return await GetExperimentByNameAsync(name, cancellationToken)
            ?? throw new DryWetException($"MLflow created experiment '{name}' but get-by-name cannot find it.");
    }

    // ---- Runs -------------------------------------------------------------------------------------------------

    public async Task<MlflowRun> CreateRunAsync(string experimentId, string? runName, DateTimeOffset startTime,
        IReadOnlyList<MlflowTag> tags, CancellationToken cancellationToken = default)
    {
        // Not retry-safe: a repeated create would leave a second, orphaned RUNNING run.
        var response = await PostAsync<RunResponse>("runs/create",
            new CreateRunRequest(experimentId, runName, startTime.ToUnixTimeMilliseconds(), tags), retrySafe: false, cancellationToken);
        return response.Run;
    }

    public async Task<MlflowRun> GetRunAsync(string runId, CancellationToken cancellationToken = default) =>
        (await GetAsync<RunResponse>($"runs/get?run_id={Q(runId)}", "runs/get", cancellationToken)).Run;

    /// <summary>Sets the status (RUNNING, FINISHED, FAILED, KILLED) and, for a terminal status, the end time.</summary>
    public async Task<MlflowRunInfo> UpdateRunAsync(string runId, string status, DateTimeOffset? endTime, CancellationToken cancellationToken = default)
    {
        var response = await PostAsync<UpdateRunResponse>("runs/update",
            new UpdateRunRequest(runId, status, endTime?.ToUnixTimeMilliseconds()), retrySafe: true, cancellationToken);
        return response.RunInfo;
    }

    public Task SetTagAsync(string runId, string key, string value, CancellationToken cancellationToken = default) =>
        PostAsync<JsonElement>("runs/set-tag", new SetTagRequest(runId, key, value), retrySafe: true, cancellationToken);

    /// <summary>
    /// Logs metrics, params and tags, split into as many runs/log-batch calls as MLflow's limits need
    /// (≤1000 metrics, ≤100 params, ≤100 tags, ≤1000 in total per call). Retry-safe: params are write-once with the
    /// same value, tags overwrite, and the SQL store ignores a metric identical in key, value, timestamp and step.
    /// </summary>
    public async Task LogBatchAsync(string runId, IReadOnlyList<MlflowMetric>? metrics = null,
        IReadOnlyList<MlflowParam>? parameters = null, IReadOnlyList<MlflowTag>? tags = null, CancellationToken cancellationToken = default)
    {
        foreach (var batch in SplitBatch(runId, metrics ?? [], parameters ?? [], tags ?? []))
        {
            await PostAsync<JsonElement>("runs/log-batch", batch, retrySafe: true, cancellationToken);
        }
    }

    internal static IEnumerable<LogBatchRequest> SplitBatch(string runId, IReadOnlyList<MlflowMetric> metrics,
        IReadOnlyList<MlflowParam> parameters, IReadOnlyList<MlflowTag> tags)
    {
        int m = 0, p = 0, t = 0;
        while (m < metrics.Count || p < parameters.Count || t < tags.Count)
        {
            var paramCount = Math.Min(MaxParamsPerBatch, parameters.Count - p);
            var tagCount = Math.Min(MaxTagsPerBatch, tags.Count - t);
            var metricCount = Math.Min(Math.Min(MaxMetricsPerBatch, MaxEntitiesPerBatch - paramCount - tagCount), metrics.Count - m);
            yield return new LogBatchRequest(runId,
                metrics.Skip(m).Take(metricCount).ToList(),
                parameters.Skip(p).Take(paramCount).ToList(),
                tags.Skip(t).Take(tagCount).ToList());
            m += metricCount;
            p += paramCount;
            t += tagCount;
        }
    }

    /// <summary>
    /// Every point of one metric, page by page as MLflow's own client reads it: <c>max_results</c>
    /// (<see cref="MetricHistoryPageSize"/>) on every request and <c>next_page_token</c> followed. A real server answers a
    /// request without <c>max_results</c> with no points and a token pointing back at offset 0.
    /// </summary>
    public async Task<IReadOnlyList<MlflowMetric>> GetMetricHistoryAsync(string runId, string metricKey, CancellationToken cancellationToken = default)
    {
        var points = new List<MlflowMetric>();
        string? pageToken = null;
        do
        {
            var query = $"metrics/get-history?run_id={Q(runId)}&metric_key={Q(metricKey)}&max_results={MetricHistoryPageSize}" +
                        (pageToken is null ? "" : $"&page_token={Q(pageToken)}");
            var page = await GetAsync<MetricHistoryResponse>(query, "metrics/get-history", cancellationToken);
            var received = page.Metrics ?? [];
            points.AddRange(received);
            pageToken = string.IsNullOrEmpty(page.NextPageToken) ? null : page.NextPageToken;
            if (pageToken is not null && received.Count == 0)
            {
                // A server that hands out a token without points would make this loop for ever.
                throw new MlflowException(200, "INVALID_RESPONSE", $"metrics/get-history for '{metricKey}' answered a next_page_token with no points.", "metrics/get-history");
            }
        }
        while (pageToken is not null);
        return points;
    }

    /// <summary>Records a logged model on the run (the MLmodel content as JSON) so the MLflow UI lists it as a model.</summary>
    public Task LogModelAsync(string runId, string modelJson, CancellationToken cancellationToken = default) =>
        // Not retry-safe: each call appends to the run's mlflow.log-model.history tag.
        PostAsync<JsonElement>("runs/log-model", new LogModelRequest(runId, modelJson), retrySafe: false, cancellationToken);

    // ---- Transport ----------------------------------------------------------------------------------------------

    private static string Q(string value) => Uri.EscapeDataString(value);

    private Task<T> GetAsync<T>(string pathAndQuery, string call, CancellationToken cancellationToken) =>
        SendJsonAsync<T>(HttpMethod.Get, Api + pathAndQuery, body: null, retrySafe: true, call, cancellationToken);

    private Task<T> PostAsync<T>(string path, object body, bool retrySafe, CancellationToken cancellationToken) =>
        SendJsonAsync<T>(HttpMethod.Post, Api + path, body, retrySafe, path, cancellationToken);

    private async Task<T> SendJsonAsync<T>(HttpMethod method, string relative, object? body, bool retrySafe, string call,
        CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(method, relative);
        request.Options.Set(MlflowRetryPolicy.RetrySafeKey, retrySafe);
        if (body is not null)
        {
            // MLflow rejects JSON calls without Content-Type: application/json (400 INVALID_PARAMETER_VALUE).
            request.Content = new StringContent(JsonSerializer.Serialize(body, body.GetType(), MlflowJson.Options), Encoding.UTF8, "application/json");
        }

        using var response = await SendAsync(request, call, HttpCompletionOption.ResponseContentRead, cancellationToken);
        var text = await response.Content.ReadAsStringAsync(cancellationToken);
        try
        {
            return JsonSerializer.Deserialize<T>(string.IsNullOrWhiteSpace(text) ? "{}" : text, MlflowJson.Options)
                ?? throw new MlflowException((int)response.StatusCode, "INVALID_RESPONSE", "empty response body", call);
        }
        catch (JsonException ex)
        {
            throw new MlflowException((int)response.StatusCode, "INVALID_RESPONSE", $"the response is not the expected JSON ({ex.Message}): {Truncate(text)}", call);
        }
    }

    /// <summary>Sends and returns a successful response; maps failures. The caller disposes the response.</summary>
    private async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, string call, HttpCompletionOption completion,
        CancellationToken cancellationToken)
    {
        HttpResponseMessage response;
        try
        {
            response = await _http.SendAsync(request, completion, cancellationToken);
        }
        catch (Exception ex) when (ex is HttpRequestException || (ex is OperationCanceledException && !cancellationToken.IsCancellationRequested)
            || ex.GetType().Name == "TimeoutRejectedException")
        {
            _logger.LogWarning("MLflow {Call} at {Server} failed: {Error}", call, BaseAddress, ex.Message);
            throw new MlflowUnavailableException(BaseAddress, call, ex);
        }

        if (response.IsSuccessStatusCode)
        {
            return response;
        }

        using (response)
        {
            var text = await response.Content.ReadAsStringAsync(cancellationToken);
            var (code, message) = ParseError(response.StatusCode, text);
            if (response.StatusCode == HttpStatusCode.Forbidden && message.Contains("Invalid Host header", StringComparison.Ordinal))
            {
                // MLflow >= 3.5 refuses Host names that are not localhost or private addresses (DNS-rebinding guard).
                message += $" The MLflow server does not accept the host name '{BaseAddress.Host}': start it with --allowed-hosts naming it.";
            }

            throw new MlflowException((int)response.StatusCode, code, message, call);
        }
    }

    private static (string Code, string Message) ParseError(HttpStatusCode status, string text)
    {
        try
        {
            var error = JsonSerializer.Deserialize<MlflowErrorBody>(text, MlflowJson.Options);
            if (error?.ErrorCode is { Length: > 0 } code)
            {
                return (code, error.Message ?? "");
            }
        }
        catch (JsonException)
        {
            // Not MLflow's JSON error body (a proxy's HTML page, the artifact proxy's plain-text 503): keep the text.
        }

        var fallbackCode = status switch
        {
            // A 404 without MLflow's JSON body is an unknown route (wrong base URL, old server), not a missing resource.
            HttpStatusCode.NotFound => EndpointNotFound,
            HttpStatusCode.ServiceUnavailable => MlflowException.TemporarilyUnavailable,
            _ => $"HTTP_{(int)status}",
        };
        return (fallbackCode, Truncate(text));
    }

    private static string Truncate(string text) => text.Length <= 300 ? text : text[..300] + "…";
}

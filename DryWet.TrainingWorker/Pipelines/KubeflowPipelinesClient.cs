using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using DryWet.Core;

namespace DryWet.TrainingWorker.Pipelines;

/// <summary>
/// Typed client for the KFP v2beta1 REST API. The HttpClient's BaseAddress is the KFP host as the user gives it
/// (e.g. http://localhost/pipeline, the UI's proxy behind the Istio gateway, or http://ml-pipeline.kubeflow:8888).
/// </summary>
public sealed class KubeflowPipelinesClient(HttpClient http)
{
    internal static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };

    public const string ApiPrefix = "apis/v2beta1/";

    /// <summary>Normalises a host flag to a base address ending with '/', so relative API paths keep its prefix.</summary>
    public static Uri BaseAddressFor(string host)
    {
        var trimmed = host.Trim();
        if (!Uri.TryCreate(trimmed.TrimEnd('/') + "/", UriKind.Absolute, out var uri) || (uri.Scheme != "http" && uri.Scheme != "https"))
        {
            throw new DryWetException($"--kubeflow-host '{host}' is not an http(s) URL; pass e.g. http://localhost/pipeline.");
        }

        return uri;
    }

    public Task<KubeflowHealth> GetHealthAsync(CancellationToken ct) =>
        SendAsync<KubeflowHealth>(HttpMethod.Get, "healthz", body: null, "the health check", ct);

    /// <summary>Finds an experiment by exact display name (the SDK's filter: display_name EQUALS name).</summary>
    public async Task<KubeflowExperiment?> FindExperimentAsync(string displayName, string? @namespace, CancellationToken ct)
    {
        var filter = new JsonObject
        {
            ["predicates"] = new JsonArray(new JsonObject
            {
                ["operation"] = "EQUALS",
                ["key"] = "display_name",
                ["string_value"] = displayName,
            }),
        };
        var query = $"experiments?filter={Uri.EscapeDataString(filter.ToJsonString())}&page_size=10";
        if (!string.IsNullOrEmpty(@namespace))
        {
            query += $"&namespace={Uri.EscapeDataString(@namespace)}";
        }

        var list = await SendAsync<KubeflowExperimentList>(HttpMethod.Get, query, body: null, "listing experiments", ct);
        return list.Experiments?.FirstOrDefault(e => e.DisplayName == displayName);
    }

    public Task<KubeflowExperiment> CreateExperimentAsync(KubeflowCreateExperimentRequest request, CancellationToken ct) =>
        SendAsync<KubeflowExperiment>(HttpMethod.Post, "experiments", request, $"creating experiment '{request.DisplayName}'", ct);

    public Task<KubeflowRun> CreateRunAsync(KubeflowCreateRunRequest request, CancellationToken ct) =>
        SendAsync<KubeflowRun>(HttpMethod.Post, "runs", request, $"creating run '{request.DisplayName}'", ct);

    public Task<KubeflowRun> GetRunAsync(string runId, CancellationToken ct) =>
        SendAsync<KubeflowRun>(HttpMethod.Get, $"runs/{Uri.EscapeDataString(runId)}", body: null, $"reading run {runId}", ct);

    /// <summary>
    /// Terminates a run (<c>POST runs/{id}:terminate</c>, no body): KFP stops its pods, the run goes CANCELING, then
    /// CANCELED. A run that already ended is left as it is by the server.
    /// </summary>
    public Task TerminateRunAsync(string runId, CancellationToken ct) =>
        SendAsync<JsonObject>(HttpMethod.Post, $"runs/{Uri.EscapeDataString(runId)}:terminate", body: null, $"terminating run {runId}", ct);

    private async Task<T> SendAsync<T>(HttpMethod method, string path, object? body, string operation, CancellationToken ct)
    {
        using var request = new HttpRequestMessage(method, ApiPrefix + path);
        if (body is not null)
        {
            request.Content = JsonContent.Create(body, body.GetType(), options: Json);
        }

        HttpResponseMessage response;
        try
        {
            response = await http.SendAsync(request, ct);
        }
        catch (HttpRequestException e)
        {
            throw new DryWetException(
                $"Could not reach Kubeflow Pipelines at {http.BaseAddress} while {operation}: {e.Message}. " +
                "Check --kubeflow-host and that the gateway is reachable (`minikube tunnel` running, `kubectl get svc -n istio-system`).", e);
        }
        catch (TaskCanceledException e) when (!ct.IsCancellationRequested)
        {
            throw new DryWetException($"Kubeflow Pipelines at {http.BaseAddress} did not answer in time while {operation}.", e);
        }

        using (response)
        {
            var text = await response.Content.ReadAsStringAsync(ct);
            if (!response.IsSuccessStatusCode)
            {
                throw KubeflowApiException.FromBody(operation, response.StatusCode, text);
            }

            try
            {
                return JsonSerializer.Deserialize<T>(text, Json)
                    ?? throw new DryWetException($"Kubeflow Pipelines answered {operation} with an empty body.");
            }
            catch (JsonException e)
            {
                var start = text.Length > 200 ? text[..200] + "…" : text;
                throw new DryWetException(
                    $"Kubeflow Pipelines answered {operation} with something that is not the expected JSON ({e.Message}): {start}. " +
                    "Is --kubeflow-host pointing at the KFP UI or API (e.g. http://localhost/pipeline)?", e);
            }
        }
    }
}

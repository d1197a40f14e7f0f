using System.Collections.Concurrent;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace DryWet.Tests.Pipelines;

/// <summary>
/// A stand-in for the Kubeflow Pipelines v2beta1 REST API behind the gateway's /pipeline prefix. It exists because no
/// KFP can run here (no Kubernetes). It is as strict as the real server where DryWet's client could go wrong:
/// request bodies are parsed like protojson with DiscardUnknown=false (an unknown field is InvalidArgument), the
/// pipeline spec is checked field by field (<see cref="KfpSpecValidator"/>), schemaVersion must be "2.1.0", and every
/// runtime parameter must match its declared parameterType (v2_template.go). Errors come in the v2 (KFP ≥ 2.14) or,
/// with <see cref="LegacyErrorShape"/>, the v1 grpc-gateway body.
/// </summary>
internal sealed partial class FakeKubeflowApi : IAsyncDisposable
{
    private readonly WebApplication app;
    private readonly ConcurrentQueue<string> runStates = new();
    private readonly ConcurrentDictionary<string, JsonObject> experiments = new();

    public sealed record Request(string Method, string PathAndQuery, JsonNode? Body);

    public ConcurrentQueue<Request> Requests { get; } = new();
    public bool LegacyErrorShape { get; set; }
    /// <summary>Answer healthz as the KFP UI does (its own shape) rather than as the API server.</summary>
    public bool HealthFromUi { get; set; }
    public bool MultiUser { get; set; }
    public bool ApiServerReady { get; set; } = true;
    public string? RunFailureMessage { get; set; }
    /// <summary>Set by <c>POST runs/run-1:terminate</c>; from then on the run answers CANCELED, as KFP's does once its pods are gone.</summary>
    public bool Terminated { get; private set; }
    /// <summary>When set, every API call answers with this status and gRPC code (to test error display).</summary>
    public (int Status, int GrpcCode, string Message)? FailEverything { get; set; }

    private FakeKubeflowApi(WebApplication app) => this.app = app;

    public Uri Host { get; private set; } = null!;

    public static async Task<FakeKubeflowApi> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        var fake = new FakeKubeflowApi(builder.Build());
        fake.Map();
        await fake.app.StartAsync();
        var address = fake.app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        fake.Host = new Uri($"{address}/pipeline");
        return fake;
    }

    /// <summary>Replaces the states the next polls of run-1 return, one per poll; the last one sticks.</summary>
    public void ScriptRunStates(params string[] states)
    {
        runStates.Clear();
        foreach (var s in states)
        {
            runStates.Enqueue(s);
        }
    }

    public void AddExperiment(string id, string displayName) =>
        experiments[id] = new JsonObject { ["experiment_id"] = id, ["display_name"] = displayName, ["storage_state"] = "AVAILABLE" };

    public ValueTask DisposeAsync() => app.DisposeAsync();

    private void Map()
    {
        app.Use(async (context, next) =>
        {
            JsonNode? body = null;
            if (context.Request.ContentLength > 0 || context.Request.Headers.TransferEncoding.Count > 0)
            {
                using var reader = new StreamReader(context.Request.Body);
                var text = await reader.ReadToEndAsync();
                try
                {
                    body = JsonNode.Parse(text);
                }
                catch (JsonException e)
                {
                    await Error(context, 400, 3, $"proto: syntax error: {e.Message}");
                    return;
                }
            }

            Requests.Enqueue(new Request(context.Request.Method, context.Request.Path + context.Request.QueryString, body));
            context.Items["body"] = body;
            if (FailEverything is { } fail && !context.Request.Path.Value!.EndsWith("/healthz", StringComparison.Ordinal))
            {
                await Error(context, fail.Status, fail.GrpcCode, fail.Message);
                return;
            }

            await next(context);
        });

        var api = app.MapGroup("/pipeline/apis/v2beta1");
        api.MapGet("/healthz", () => HealthFromUi
            ? Results.Json(new JsonObject
            {
                ["apiServerCommitHash"] = "abc", ["apiServerTagName"] = "2.14.3", ["apiServerMultiUser"] = MultiUser,
                ["multi_user"] = MultiUser, ["apiServerReady"] = ApiServerReady, ["buildDate"] = "x", ["frontendCommitHash"] = "def",
                ["frontendTagName"] = "2.14.3", ["pipelineStore"] = "database",
            })
            : Results.Json(new JsonObject { ["commit_sha"] = "abc", ["tag_name"] = "2.14.3", ["multi_user"] = MultiUser, ["pipeline_store"] = "database" }));
        api.MapGet("/experiments", ListExperiments);
        api.MapPost("/experiments", CreateExperiment);
        api.MapPost("/runs", CreateRun);
        api.MapGet("/runs/{runId}", (string runId, HttpContext context) => GetRun(runId, context));
        api.MapPost("/runs/{runId}:terminate", (string runId, HttpContext context) => TerminateRun(runId, context));
        app.MapFallback(async context =>
        {
            context.Response.StatusCode = 404;
            await context.Response.WriteAsync("<html>404 page not found</html>");
        });
    }

    private async Task ListExperiments(HttpContext context)
    {
        var filterText = context.Request.Query["filter"].ToString();
        var unknown = context.Request.Query.Keys.Except(["filter", "page_size", "page_token", "sort_by", "namespace"]).ToList();
        if (unknown.Count > 0)
        {
            await Error(context, 400, 3, $"unknown query parameter {unknown[0]}");
            return;
        }

        string? wanted = null;
        if (filterText.Length > 0)
        {
            var filter = JsonNode.Parse(filterText)!.AsObject();
            var predicate = filter["predicates"]!.AsArray().Single()!.AsObject();
            if (!Strict(predicate, ["operation", "key", "string_value", "stringValue"], out var bad)
                || predicate["key"]!.GetValue<string>() != "display_name"
                || predicate["operation"]!.ToString() is not ("EQUALS" or "1"))
            {
                await Error(context, 400, 3, $"invalid filter {filterText} {bad}");
                return;
            }

            wanted = (predicate["string_value"] ?? predicate["stringValue"])!.GetValue<string>();
        }

        var matches = experiments.Values.Where(e => wanted is null || e["display_name"]!.GetValue<string>() == wanted)
            .Select(e => (JsonNode?)e.DeepClone()).ToArray();
        var response = new JsonObject();
        if (matches.Length > 0)
        {
            response["experiments"] = new JsonArray(matches);
            response["total_size"] = matches.Length;
        }

        await context.Response.WriteAsJsonAsync(response);
    }

    private async Task CreateExperiment(HttpContext context)
    {
        string? unknown = null;
        if (context.Items["body"] is not JsonObject body || !Strict(body, ["experiment_id", "display_name", "description", "created_at", "namespace", "storage_state", "last_run_created_at"], out unknown))
        {
            await Error(context, 400, 3, $"proto: unknown field \"{unknown}\"");
            return;
        }

        if (body["display_name"]?.GetValueKind() != JsonValueKind.String)
        {
            await Error(context, 400, 3, "Invalid input error: Experiment display_name is empty. Please specify a valid experiment name.");
            return;
        }

        var id = $"exp-{experiments.Count + 1}";
        AddExperiment(id, body["display_name"]!.GetValue<string>());
        await context.Response.WriteAsJsonAsync(experiments[id]);
    }

    private async Task CreateRun(HttpContext context)
    {
        var body = context.Items["body"] as JsonObject;
        string[] runFields = ["experiment_id", "run_id", "display_name", "storage_state", "description", "pipeline_version_id",
            "pipeline_spec", "pipeline_version_reference", "runtime_config", "service_account", "created_at", "scheduled_at",
            "finished_at", "state", "error", "run_details", "recurring_run_id", "state_history"];
        string? unknown = null;
        if (body is null || !Strict(body, runFields, out unknown))
        {
            await Error(context, 400, 3, $"proto: unknown field \"{unknown}\"");
            return;
        }

        if (body["runtime_config"] is JsonObject rc && !Strict(rc, ["parameters", "pipeline_root"], out unknown))
        {
            await Error(context, 400, 3, $"proto: (line 1): unknown field \"{unknown}\"");
            return;
        }

        if (body["experiment_id"] is not JsonValue eid || !experiments.ContainsKey(eid.GetValue<string>()))
        {
            await Error(context, 404, 5, $"Failed to fetch experiment: experiment {body["experiment_id"]} not found");
            return;
        }

        if (body["pipeline_spec"] is not JsonObject wrapper || !Strict(wrapper, ["pipeline_spec", "platform_spec"], out unknown)
            || wrapper["pipeline_spec"] is not JsonObject spec)
        {
            await Error(context, 400, 3, "Failed to unmarshal pipeline spec: expected {pipeline_spec, platform_spec}");
            return;
        }

        var problems = KfpSpecValidator.PipelineSpec(spec).Concat(
            wrapper["platform_spec"] is { } platform ? KfpSpecValidator.PlatformSpec(platform) : []).ToList();
        if (problems.Count > 0)
        {
            await Error(context, 400, 3, $"Failed to unmarshal pipeline spec: {problems[0]}");
            return;
        }

        if (spec["schemaVersion"]?.GetValue<string>() != "2.1.0")
        {
            await Error(context, 400, 3, $"KFP only supports schema version 2.1.0, but the pipeline spec has version {spec["schemaVersion"]}");
            return;
        }

        if (spec["pipelineInfo"]?["name"]?.GetValue<string>() is not { } name || !DnsName().IsMatch(name) || spec["root"] is null)
        {
            await Error(context, 400, 3, "invalid pipeline spec: pipelineInfo.name must be a DNS-1123 name and root must be set");
            return;
        }

        var declared = spec["root"]!["inputDefinitions"]?["parameters"]?.AsObject() ?? new JsonObject();
        var given = body["runtime_config"]?["parameters"]?.AsObject() ?? new JsonObject();
        foreach (var (key, value) in given)
        {
            if (!declared.TryGetPropertyValue(key, out var declaration))
            {
                await Error(context, 400, 3, $"input parameter {key} is not defined in the pipeline");
                return;
            }

            var type = declaration!["parameterType"]!.GetValue<string>();
            var ok = type switch
            {
                "STRING" => value?.GetValueKind() == JsonValueKind.String,
                "NUMBER_INTEGER" or "NUMBER_DOUBLE" => value?.GetValueKind() == JsonValueKind.Number,
                "BOOLEAN" => value?.GetValueKind() is JsonValueKind.True or JsonValueKind.False,
                "LIST" => value is JsonArray,
                "STRUCT" => value is JsonObject,
                _ => false,
            };
            if (!ok)
            {
                await Error(context, 400, 3, $"input parameter {key} requires type {type}, but got {value?.GetValueKind()}");
                return;
            }
        }

        foreach (var (key, declaration) in declared)
        {
            if (!given.ContainsKey(key) && declaration!["isOptional"]?.GetValue<bool>() != true && declaration["defaultValue"] is null)
            {
                await Error(context, 400, 3, $"input parameter {key} is required");
                return;
            }
        }

        await context.Response.WriteAsJsonAsync(new JsonObject
        {
            ["run_id"] = "run-1",
            ["experiment_id"] = eid.GetValue<string>(),
            ["display_name"] = body["display_name"]!.GetValue<string>(),
            ["state"] = "PENDING",
            ["created_at"] = "2026-01-01T00:00:00Z",
            ["storage_state"] = "AVAILABLE",
        });
    }

    private async Task GetRun(string runId, HttpContext context)
    {
        if (runId != "run-1")
        {
            await Error(context, 404, 5, $"Run {runId} not found");
            return;
        }

        // Each poll consumes one scripted state; the last one sticks.
        var state = Terminated ? "CANCELED" : runStates.Count > 1 && runStates.TryDequeue(out var next) ? next : runStates.TryPeek(out var last) ? last : "RUNNING";
        var run = new JsonObject { ["run_id"] = runId, ["display_name"] = "x", ["state"] = state, ["experiment_id"] = "exp-1" };
        if (state is "FAILED" && RunFailureMessage is not null)
        {
            run["error"] = new JsonObject { ["code"] = 2, ["message"] = RunFailureMessage };
            run["run_details"] = new JsonObject
            {
                ["pipeline_context_id"] = "7",
                ["task_details"] = new JsonArray(
                    new JsonObject { ["display_name"] = "download-data", ["state"] = "SUCCEEDED", ["task_id"] = "t1" },
                    new JsonObject { ["display_name"] = "train-model", ["state"] = "FAILED", ["task_id"] = "t2",
                        ["error"] = new JsonObject { ["code"] = 2, ["message"] = "exit status 137" } }),
            };
        }

        await context.Response.WriteAsJsonAsync(run);
    }

    private async Task TerminateRun(string runId, HttpContext context)
    {
        if (runId != "run-1")
        {
            await Error(context, 404, 5, $"Run {runId} not found");
            return;
        }

        Terminated = true;
        await context.Response.WriteAsJsonAsync(new JsonObject());
    }

    private static bool Strict(JsonObject body, string[] known, out string? unknown)
    {
        unknown = body.Select(p => p.Key).FirstOrDefault(k => !known.Contains(k));
        return unknown is null;
    }

    private Task Error(HttpContext context, int status, int grpcCode, string message)
    {
        context.Response.StatusCode = status;
        JsonObject body = LegacyErrorShape
            ? new() { ["error"] = message, ["code"] = grpcCode, ["message"] = message, ["details"] = new JsonArray() }
            : new() { ["code"] = grpcCode, ["message"] = message, ["details"] = new JsonArray() };
        return context.Response.WriteAsJsonAsync(body);
    }

    [GeneratedRegex("^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")]
    private static partial Regex DnsName();
}

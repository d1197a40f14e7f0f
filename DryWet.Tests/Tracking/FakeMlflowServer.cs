using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace DryWet.Tests.Tracking;

/// <summary>
/// A FAKE MLflow tracking server. It exists only because a real MLflow server (Python) cannot run here (no PyPI, no
/// Docker). It follows MLflow's REST API 2.0 as documented in mlflow/protos/service.proto, model_registry.proto,
/// mlflow_artifacts.proto and mlflow/server/handlers.py (summarised in docs/reference/kfp-mlflow-rest.md §4):
/// snake_case JSON, int64 as numbers, enums as strings, errors as {"error_code","message"} with MLflow's statuses
/// (RESOURCE_DOES_NOT_EXIST 404, RESOURCE_ALREADY_EXISTS 400, INVALID_PARAMETER_VALUE 400), POST bodies rejected
/// without Content-Type application/json, log-batch limits enforced, the artifact proxy, and a registry with aliases,
/// stages and PENDING_REGISTRATION → READY. State is in memory. Fault injection: <see cref="FailNextRequests"/>.
/// Where a real MLflow 3.9 server was observed (docs/reference/mlflow-observed.md in the shared folder) the fake answers
/// like it: a missing alias is 400 INVALID_PARAMETER_VALUE, alias DELETE takes a JSON body, a missing artifact is 500,
/// empty repeated fields are left out, success bodies are pretty-printed, and a Host that is not localhost or a private
/// address gets MLflow's 403 (its DNS-rebinding guard; <c>/health</c> is exempt). MLflow 3's datasets and LoggedModels
/// are in FakeMlflowServer.LoggedModels.cs; <see cref="ServerVersion"/> "2.x" makes it answer like an MLflow 2 server.
/// </summary>
public sealed partial class FakeMlflowServer : IAsyncDisposable
{
    private readonly object _gate = new();
    private readonly WebApplication _app;
    private readonly List<Experiment> _experiments = [new("0", "Default", "mlflow-artifacts:/0")];
    private readonly Dictionary<string, Run> _runs = [];
    private readonly Dictionary<string, byte[]> _artifacts = new(StringComparer.Ordinal);
    private int _failuresLeft;
    private int _failureStatus;

    private FakeMlflowServer(WebApplication app) => _app = app;

    public Uri BaseAddress { get; private set; } = null!;

    /// <summary>Every request seen: method, path, Content-Type. Lets tests check what the client sent.</summary>
    public List<(string Method, string Path, string? ContentType)> Requests { get; } = [];

    /// <summary>How many model-versions/get polls a new version stays PENDING_REGISTRATION.</summary>
    public int PendingPolls { get; set; } = 1;

    /// <summary>When set, new versions end FAILED_REGISTRATION with this message instead of READY.</summary>
    public string? FailRegistrationWith { get; set; }

    /// <summary>The next <paramref name="count"/> requests get <paramref name="status"/> with a plain-text body (a proxy or overloaded server).</summary>
    public void FailNextRequests(int count, int status = 503)
    {
        lock (_gate)
        {
            _failuresLeft = count;
            _failureStatus = status;
        }
    }

    /// <param name="port">0 = any free port; a fixed port lets a test start "the server that was down".</param>
    public static async Task<FakeMlflowServer> StartAsync(int port = 0)
    {
        // Not while a ServingApp starts: its factory could take this host for the serving app's (see ServingApp.StartLock).
        await Serving.ServingApp.StartLock.WaitAsync();
        WebApplication app;
        FakeMlflowServer server;
        try
        {
            var builder = WebApplication.CreateSlimBuilder();
            builder.WebHost.UseUrls($"http://127.0.0.1:{port}");
            builder.Logging.ClearProviders();
            app = builder.Build();
            server = new FakeMlflowServer(app);
            server.Map(app);
            await app.StartAsync();
        }
        finally
        {
            Serving.ServingApp.StartLock.Release();
        }

        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        server.BaseAddress = new Uri(address.TrimEnd('/') + "/");
        return server;
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }

    private void Map(WebApplication app)
    {
        app.Use(async (context, next) =>
        {
            int status;
            lock (_gate)
            {
                Requests.Add((context.Request.Method, context.Request.Path.Value ?? "", context.Request.ContentType));
                status = _failuresLeft > 0 ? _failureStatus : 0;
                if (_failuresLeft > 0)
                {
                    _failuresLeft--;
                }
            }

            if (status != 0)
            {
                context.Response.StatusCode = status;
                await context.Response.WriteAsync("upstream temporarily unavailable");
                return;
            }

            // MLflow's basic-auth app (--app-name basic-auth): 401 with a Basic challenge unless the credentials match.
            if (BasicAuth is { } credentials && context.Request.Headers.Authorization.ToString() != "Basic " +
                Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes($"{credentials.User}:{credentials.Password}")))
            {
                context.Response.StatusCode = StatusCodes.Status401Unauthorized;
                context.Response.Headers.WWWAuthenticate = "Basic realm=\"mlflow\"";
                await context.Response.WriteAsync("You are not authenticated. Please see https://www.mlflow.org/docs/latest/auth/index.html#authenticating-to-mlflow on how to authenticate.");
                return;
            }

            // MLflow >= 3.5 security middleware: only localhost and private addresses unless --allowed-hosts names more.
            if (context.Request.Path != "/health" && !IsAllowedHost(context.Request.Host.Host))
            {
                context.Response.StatusCode = StatusCodes.Status403Forbidden;
                context.Response.ContentType = "text/plain";
                await context.Response.WriteAsync("Invalid Host header - possible DNS rebinding attack detected");
                return;
            }

            // mlflow/server/validation.py _validate_content_type: JSON POSTs need application/json (parameters allowed).
            if (context.Request.Method == "POST" && context.Request.Path.StartsWithSegments("/api/2.0/mlflow")
                && context.Request.ContentType?.Split(';')[0].Trim() != "application/json")
            {
                await Error(MlflowErrors.InvalidParameterValue, "Bad Request. Content-Type must be one of ['application/json'].").ExecuteAsync(context);
                return;
            }

            await next(context);
        });

        app.MapGet("/health", () => Results.Text("OK", "text/plain"));
        app.MapGet("/version", () => Results.Text(ServerVersion, "text/html"));
        var api = app.MapGroup("/api/2.0/mlflow");
        MapTracking(api);
        MapLoggedModels(api);
        MapRegistry(api);
        MapArtifactProxy(app);
    }

    private void MapTracking(RouteGroupBuilder api)
    {
        api.MapGet("/experiments/get-by-name", (string? experiment_name) => Locked(() =>
            _experiments.FirstOrDefault(e => e.Name == experiment_name) is { } e
                ? Ok(new JsonObject { ["experiment"] = e.ToJson() })
                : Error(MlflowErrors.ResourceDoesNotExist, $"Could not find experiment with name '{experiment_name}'")));

        api.MapPost("/experiments/create", (JsonObject body) => Locked(() =>
        {
            var name = Str(body, "name");
            if (string.IsNullOrEmpty(name))
            {
                return Error(MlflowErrors.InvalidParameterValue, "Missing value for required parameter 'name'.");
            }

            if (_experiments.Any(e => e.Name == name))
            {
                // The SQL store surfaces the unique-constraint violation.
                return Error(MlflowErrors.ResourceAlreadyExists,
                    $"Experiment(name={name}) already exists. Error: (raised as a result of Query-invoked autoflush) (sqlite3.IntegrityError) UNIQUE constraint failed: experiments.name");
            }

            var id = _experiments.Count.ToString();
            _experiments.Add(new Experiment(id, name, Str(body, "artifact_location") ?? $"mlflow-artifacts:/{id}"));
            return Ok(new JsonObject { ["experiment_id"] = id });
        }));

        api.MapPost("/runs/create", (JsonObject body) => Locked(() =>
        {
            var experiment = _experiments.FirstOrDefault(e => e.Id == Str(body, "experiment_id"));
            if (experiment is null)
            {
                return Error(MlflowErrors.ResourceDoesNotExist, $"No Experiment with id={Str(body, "experiment_id")} exists");
            }

            var runId = Guid.NewGuid().ToString("N");
            var run = new Run(runId, experiment.Id, Str(body, "run_name") ?? "", body["start_time"]?.GetValue<long>() ?? Now(),
                $"{experiment.ArtifactLocation}/{runId}/artifacts");
            foreach (var tag in body["tags"]?.AsArray() ?? [])
            {
                run.Tags[Str(tag!, "key")!] = Str(tag!, "value") ?? "";
            }

            _runs[runId] = run;
            return Ok(new JsonObject { ["run"] = run.ToJson() });
        }));

        api.MapGet("/runs/get", (string? run_id) => Locked(() =>
            WithRun(run_id, run => Ok(new JsonObject { ["run"] = run.ToJson() }))));

        api.MapPost("/runs/update", (JsonObject body) => Locked(() => WithRun(Str(body, "run_id"), run =>
        {
            var status = Str(body, "status");
            if (status is not null && status is not ("RUNNING" or "SCHEDULED" or "FINISHED" or "FAILED" or "KILLED"))
            {
                return Error(MlflowErrors.InvalidParameterValue, $"Invalid value \"{status}\" for parameter 'status'.");
            }

            run.Status = status ?? run.Status;
            run.EndTime = body["end_time"]?.GetValue<long>() ?? run.EndTime;
            return Ok(new JsonObject { ["run_info"] = run.InfoJson() });
        })));

        api.MapPost("/runs/log-batch", (JsonObject body) => Locked(() => WithRun(Str(body, "run_id"), run => LogBatch(run, body))));

        api.MapPost("/runs/set-tag", (JsonObject body) => Locked(() => WithRun(Str(body, "run_id"), run =>
        {
            run.Tags[Str(body, "key")!] = Str(body, "value") ?? "";
            return Ok(new JsonObject());
        })));

        api.MapPost("/runs/log-model", (JsonObject body) => Locked(() => WithRun(Str(body, "run_id"), run =>
        {
            // handlers.py _log_model: model_json must parse and carry these keys.
            JsonObject? model;
            try
            {
                model = JsonNode.Parse(Str(body, "model_json") ?? "")?.AsObject();
            }
            catch (JsonException)
            {
                model = null;
            }

            var missing = new[] { "artifact_path", "flavors", "utc_time_created", "run_id" }.Where(k => model?[k] is null).ToList();
            if (model is null || missing.Count > 0)
            {
                return Error(MlflowErrors.InvalidParameterValue, $"Model json is missing mandatory fields: {string.Join(", ", missing)}");
            }

            var history = run.Tags.TryGetValue("mlflow.log-model.history", out var h) ? JsonNode.Parse(h)!.AsArray() : [];
            history.Add(model);
            run.Tags["mlflow.log-model.history"] = history.ToJsonString();
            return Ok(new JsonObject());
        })));

        // Observed (3.9, sqlite store): the points ordered by (timestamp, step, value) and paged by max_results; without
        // max_results the proto's 0 applies, so the answer holds no points and a token pointing at offset 0.
        api.MapGet("/metrics/get-history", (string? run_id, string? metric_key, int? max_results, string? page_token) => Locked(() => WithRun(run_id, run =>
            Paged(run.Metrics.Where(m => m.Key == metric_key).OrderBy(m => (m.Timestamp, m.Step, m.Value)).Select(m => (JsonNode?)m.ToJson()).ToList(),
                page_token, max_results ?? 0, "metrics"))));

        api.MapGet("/artifacts/list", (string? run_id, string? path) => Locked(() => WithRun(run_id, run =>
        {
            var root = ProxyPath(run.ArtifactUri);
            var files = ListDirectory(path is null ? root : $"{root}/{path}")
                .Select(f => new JsonObject { ["path"] = path is null ? f.Name : $"{path}/{f.Name}", ["is_dir"] = f.IsDir, ["file_size"] = f.IsDir ? null : (long?)f.Size });
            return Ok(new JsonObject { ["root_uri"] = run.ArtifactUri, ["files"] = new JsonArray(files.ToArray<JsonNode?>()) });
        })));
    }

    private IResult LogBatch(Run run, JsonObject body)
    {
        var metrics = body["metrics"]?.AsArray() ?? [];
        var parameters = body["params"]?.AsArray() ?? [];
        var tags = body["tags"]?.AsArray() ?? [];
        // mlflow/utils/validation.py _validate_batch_log_limits.
        if (metrics.Count > 1000 || parameters.Count > 100 || tags.Count > 100 || metrics.Count + parameters.Count + tags.Count > 1000)
        {
            return Error(MlflowErrors.InvalidParameterValue,
                $"A batch logging request can contain at most 1000 metrics, 100 params, 100 tags and 1000 entities in total; got {metrics.Count} metrics, {parameters.Count} params, {tags.Count} tags.");
        }

        foreach (var p in parameters)
        {
            var key = Str(p!, "key")!;
            var value = Str(p!, "value") ?? "";
            if (run.Params.TryGetValue(key, out var existing) && existing != value)
            {
                return Error(MlflowErrors.InvalidParameterValue,
                    $"Changing param values is not allowed. Param with key='{key}' was already logged with value='{existing}' for run ID='{run.Id}'. Attempted logging new value '{value}'.");
            }
        }

        foreach (var m in metrics)
        {
            if (m!["timestamp"] is null || m["value"] is null)
            {
                return Error(MlflowErrors.InvalidParameterValue, "Missing value for required parameter 'metrics[i].timestamp' or 'metrics[i].value'.");
            }
        }

        foreach (var p in parameters)
        {
            run.Params[Str(p!, "key")!] = Str(p!, "value") ?? "";
        }

        foreach (var t in tags)
        {
            run.Tags[Str(t!, "key")!] = Str(t!, "value") ?? "";
        }

        foreach (var m in metrics)
        {
            var metric = new Metric(Str(m!, "key")!, m!["value"]!.GetValue<double>(), m["timestamp"]!.GetValue<long>(), m["step"]?.GetValue<long>() ?? 0);
            // The SQL store's primary key makes an identical point a no-op.
            if (!run.Metrics.Contains(metric))
            {
                run.Metrics.Add(metric);
            }
        }

        return Ok(new JsonObject());
    }

    /// <summary>
    /// MLflow's offset paging (SearchUtils.paginate): <paramref name="pageToken"/> is base64 of {"offset": n}; the answer
    /// has at most <paramref name="maxResults"/> items and a next_page_token when more follow.
    /// </summary>
    private static IResult Paged(IReadOnlyList<JsonNode?> items, string? pageToken, int maxResults, string field)
    {
        var offset = 0;
        if (!string.IsNullOrEmpty(pageToken))
        {
            try
            {
                offset = JsonNode.Parse(Convert.FromBase64String(pageToken))!["offset"]!.GetValue<int>();
            }
            catch (Exception ex) when (ex is FormatException or JsonException or NullReferenceException or InvalidOperationException)
            {
                return Error(MlflowErrors.InvalidParameterValue, "Invalid page token, could not base64-decode");
            }
        }

        var answer = new JsonObject { [field] = new JsonArray(items.Skip(offset).Take(maxResults).Select(i => i?.DeepClone()).ToArray()) };
        if (offset + maxResults < items.Count)
        {
            // Python's json.dumps({"offset": n}), base64-encoded.
            answer["next_page_token"] = Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes($"{{\"offset\": {offset + maxResults}}}"));
        }

        return Ok(answer);
    }

    private IResult WithRun(string? runId, Func<Run, IResult> action) =>
        runId is not null && _runs.TryGetValue(runId, out var run)
            ? action(run)
            : Error(MlflowErrors.ResourceDoesNotExist, $"Run with id={runId} not found");

    private IResult Locked(Func<IResult> action)
    {
        lock (_gate)
        {
            return action();
        }
    }

    private static string? Str(JsonNode node, string key) => node[key]?.GetValue<string>();

    private static long Now() => DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();

    /// <summary>When set, the server behaves as MLflow's basic-auth app with this one user.</summary>
    public (string User, string Password)? BasicAuth { get; set; }

    /// <summary>The hosts the security middleware lets through by default: localhost, loopback and private addresses.</summary>
    public IList<string> AllowedHosts { get; } = [];

    private bool IsAllowedHost(string host)
    {
        if (host.Equals("localhost", StringComparison.OrdinalIgnoreCase) || AllowedHosts.Contains(host, StringComparer.OrdinalIgnoreCase))
        {
            return true;
        }

        if (!System.Net.IPAddress.TryParse(host.Trim('[', ']'), out var ip))
        {
            return false;
        }

        if (System.Net.IPAddress.IsLoopback(ip) || ip.IsIPv6LinkLocal || ip.IsIPv6UniqueLocal)
        {
            return true;
        }

        var b = ip.MapToIPv4().GetAddressBytes();
        return ip.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork
            && (b[0] == 10 || (b[0] == 172 && b[1] is >= 16 and <= 31) || (b[0] == 192 && b[1] == 168));
    }

    // Python's json module escapes neither quotes nor apostrophes in text; System.Text.Json's default encoder would.
    private static readonly JsonSerializerOptions Pretty = new() { WriteIndented = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };
    private static readonly JsonSerializerOptions OneLine = new() { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    // Proto JSON leaves unset and empty repeated fields out; MLflow pretty-prints success bodies.
    private static IResult Ok(JsonObject body) => Results.Text(WithoutEmpty(body).ToJsonString(Pretty), "application/json");

    private static JsonNode WithoutEmpty(JsonNode node)
    {
        if (node is JsonObject obj)
        {
            foreach (var key in obj.Where(kv => kv.Value is null or JsonArray { Count: 0 }).Select(kv => kv.Key).ToList())
            {
                obj.Remove(key);
            }

            foreach (var (_, value) in obj)
            {
                WithoutEmpty(value!);
            }
        }
        else if (node is JsonArray array)
        {
            foreach (var item in array)
            {
                WithoutEmpty(item!);
            }
        }

        return node;
    }

    // Observed (3.9, 2026-12-06): error bodies are one line as Python's json.dumps writes them, ", " and ": " included.
    private static IResult Error((string Code, int Status) error, string message) =>
        Results.Text($"{{\"error_code\": {JsonValue.Create(error.Code).ToJsonString(OneLine)}, \"message\": {JsonValue.Create(message).ToJsonString(OneLine)}}}",
            "application/json", statusCode: error.Status);

    private sealed record Experiment(string Id, string Name, string ArtifactLocation)
    {
        public JsonObject ToJson() => new()
        {
            ["experiment_id"] = Id, ["name"] = Name, ["artifact_location"] = ArtifactLocation, ["lifecycle_stage"] = "active",
            ["creation_time"] = 1700000000000, ["last_update_time"] = 1700000000000,
        };
    }

    private sealed record Metric(string Key, double Value, long Timestamp, long Step)
    {
        public JsonObject ToJson() => new() { ["key"] = Key, ["value"] = Value, ["timestamp"] = Timestamp, ["step"] = Step };
    }

    private sealed class Run(string id, string experimentId, string name, long startTime, string artifactUri)
    {
        public string Id => id;
        public string ArtifactUri => artifactUri;
        public string Status { get; set; } = "RUNNING";
        public long? EndTime { get; set; }
        public Dictionary<string, string> Params { get; } = [];
        public Dictionary<string, string> Tags { get; } = [];
        public List<Metric> Metrics { get; } = [];
        public List<JsonObject> Inputs { get; } = [];
        public List<JsonObject> Outputs { get; } = [];

        public JsonObject InfoJson() => new()
        {
            ["run_id"] = id, ["run_uuid"] = id, ["run_name"] = name, ["experiment_id"] = experimentId, ["user_id"] = "",
            ["status"] = Status, ["start_time"] = startTime, ["end_time"] = EndTime, ["artifact_uri"] = artifactUri, ["lifecycle_stage"] = "active",
        };

        public JsonObject ToJson() => new()
        {
            ["info"] = InfoJson(),
            ["data"] = new JsonObject
            {
                // runs/get returns the latest value per metric key.
                ["metrics"] = new JsonArray(Metrics.GroupBy(m => m.Key).Select(g => (JsonNode?)g.MaxBy(m => (m.Step, m.Timestamp))!.ToJson()).ToArray()),
                ["params"] = new JsonArray(Params.Select(p => (JsonNode?)new JsonObject { ["key"] = p.Key, ["value"] = p.Value }).ToArray()),
                ["tags"] = new JsonArray(Tags.Select(t => (JsonNode?)new JsonObject { ["key"] = t.Key, ["value"] = t.Value }).ToArray()),
            },
            ["inputs"] = new JsonObject { ["dataset_inputs"] = new JsonArray(Inputs.Select(i => (JsonNode?)i.DeepClone()).ToArray()) },
            ["outputs"] = new JsonObject { ["model_outputs"] = new JsonArray(Outputs.Select(o => (JsonNode?)o.DeepClone()).ToArray()) },
        };
    }
}

/// <summary>MLflow error codes with their HTTP statuses (mlflow/exceptions.py ERROR_CODE_TO_HTTP_STATUS).</summary>
internal static class MlflowErrors
{
    public static readonly (string, int) ResourceDoesNotExist = ("RESOURCE_DOES_NOT_EXIST", 404);
    public static readonly (string, int) ResourceAlreadyExists = ("RESOURCE_ALREADY_EXISTS", 400);
    public static readonly (string, int) InvalidParameterValue = ("INVALID_PARAMETER_VALUE", 400);
    public static readonly (string, int) InternalError = ("INTERNAL_ERROR", 500);
}

using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace DryWet.Tests.Tracking;

// Registry (model_registry.proto) and artifact proxy (mlflow_artifacts.proto) of the fake MLflow server.
public sealed partial class FakeMlflowServer
{
    private static readonly string[] Stages = ["None", "Staging", "Production", "Archived"];
    private readonly Dictionary<string, RegisteredModel> _models = new(StringComparer.Ordinal);

    private void MapRegistry(RouteGroupBuilder api)
    {
        api.MapPost("/registered-models/create", (JsonObject body) => Locked(() =>
        {
            var name = Str(body, "name");
            if (string.IsNullOrEmpty(name))
            {
                return Error(MlflowErrors.InvalidParameterValue, "Registered model name cannot be empty.");
            }

            if (_models.ContainsKey(name))
            {
                return Error(MlflowErrors.ResourceAlreadyExists, $"Registered Model (name={name}) already exists.");
            }

            _models[name] = new RegisteredModel(name, Now()) { Description = Str(body, "description") ?? "" };
            return Ok(new JsonObject { ["registered_model"] = _models[name].ToJson() });
        }));

        api.MapGet("/registered-models/get", (string? name) => Locked(() =>
            WithModel(name, m => Ok(new JsonObject { ["registered_model"] = m.ToJson() }))));

        api.MapPost("/model-versions/create", (JsonObject body) => Locked(() => WithModel(Str(body, "name"), m =>
        {
            var source = Str(body, "source") ?? "";
            if (source.Split('/').Contains(".."))
            {
                return Error(MlflowErrors.InvalidParameterValue, $"Invalid model version source: '{source}'.");
            }

            var runId = Str(body, "run_id") is { Length: > 0 } given ? given : null;
            if (runId is not null && !_runs.ContainsKey(runId))
            {
                return Error(MlflowErrors.ResourceDoesNotExist, $"Run with id={runId} not found");
            }

            var modelId = Str(body, "model_id") is { Length: > 0 } id ? id : null;
            if (modelId is not null && !_loggedModels.ContainsKey(modelId))
            {
                return Error(MlflowErrors.ResourceDoesNotExist, $"Logged model with ID '{modelId}' not found.");
            }

            // Observed: without run_id the version takes the LoggedModel's source run (the SQL store's create_model_version).
            runId ??= modelId is null ? null : _loggedModels[modelId].SourceRunId;

            // Version numbers never repeat, even after a delete (the SQL store takes max + 1 over all versions ever).
            var version = new Version(m.Name, (++m.LastVersion).ToString(), Now(), source, runId)
            {
                Description = Str(body, "description") ?? "",
                PollsUntilDone = PendingPolls,
                FailWith = FailRegistrationWith,
            };
            m.Versions.Add(version);
            if (modelId is not null)
            {
                // handlers.py _create_model_version → set_model_versions_tags: the LoggedModel lists its versions.
                _loggedModels[modelId].AddModelVersion(m.Name, version.Number);
            }

            return Ok(new JsonObject { ["model_version"] = version.ToJson(m) });
        })));

        api.MapGet("/model-versions/get", (string? name, string? version) => Locked(() => WithVersion(name, version, (m, v) =>
        {
            v.Advance();
            return Ok(new JsonObject { ["model_version"] = v.ToJson(m) });
        })));

        // model-versions/search with the one filter DryWet sends (name='<model>'); an unknown model gives no versions,
        // and an empty list is left out of the answer as MLflow leaves out empty fields. Paged as the SQL store pages it:
        // ordered by last update (newest first), then version number (highest first); max_results 10000 by default,
        // 1 to 200000.
        api.MapGet("/model-versions/search", (string? filter, int? max_results, string? page_token) => Locked(() =>
        {
            var limit = max_results ?? 10000;
            if (limit is < 1 or > 200_000)
            {
                return Error(MlflowErrors.InvalidParameterValue, limit < 1
                    ? $"Invalid value for max_results. It must be a positive integer, but got {limit}"
                    : $"Invalid value \"{limit}\" for parameter 'max_results' supplied:  Hint: Value was of type 'str'. See the API docs for more information about request parameters.");
            }

            var match = System.Text.RegularExpressions.Regex.Match(filter ?? "", @"^\s*name\s*=\s*'(?<name>(?:[^'\\]|\\.)*)'\s*$");
            if (!match.Success)
            {
                return Error(MlflowErrors.InvalidParameterValue, $"Invalid filter '{filter}'");
            }

            var name = match.Groups["name"].Value.Replace("\\'", "'", StringComparison.Ordinal);
            var versions = _models.TryGetValue(name, out var m)
                ? m.Versions.OrderByDescending(v => v.Updated).ThenByDescending(v => int.Parse(v.Number)).Select(v => (JsonNode?)v.ToJson(m)).ToList()
                : [];
            return Paged(versions, page_token, limit, "model_versions");
        }));

        api.MapPost("/model-versions/transition-stage", (JsonObject body) => Locked(() => WithVersion(Str(body, "name"), Str(body, "version"), (m, v) =>
        {
            if (body["archive_existing_versions"] is null)
            {
                return Error(MlflowErrors.InvalidParameterValue, "Missing value for required parameter 'archive_existing_versions'.");
            }

            var stage = Stages.FirstOrDefault(s => string.Equals(s, Str(body, "stage"), StringComparison.OrdinalIgnoreCase));
            if (stage is null)
            {
                return Error(MlflowErrors.InvalidParameterValue, $"Invalid Model Version stage: {Str(body, "stage")}. Value must be one of None, Staging, Production, Archived.");
            }

            var archive = body["archive_existing_versions"]!.GetValue<bool>();
            if (archive && stage is not ("Staging" or "Production"))
            {
                return Error(MlflowErrors.InvalidParameterValue, $"Model version transition cannot archive existing model versions because '{stage}' is not an Active stage.");
            }

            if (archive)
            {
                foreach (var other in m.Versions.Where(o => o != v && o.Stage == stage))
                {
                    other.Stage = "Archived";
                    other.Updated = Now();
                }
            }

            v.Stage = stage;
            v.Updated = Now();
            return Ok(new JsonObject { ["model_version"] = v.ToJson(m) });
        })));

        api.MapPost("/registered-models/alias", (JsonObject body) => Locked(() => WithVersion(Str(body, "name"), Str(body, "version"), (m, v) =>
        {
            m.Aliases[Str(body, "alias")!] = v.Number;
            return Ok(new JsonObject());
        })));

        // Observed: a missing alias is 400 INVALID_PARAMETER_VALUE (not 404), also after the alias was deleted.
        api.MapGet("/registered-models/alias", (string? name, string? alias) => Locked(() => WithModel(name, m =>
            alias is not null && m.Aliases.TryGetValue(alias, out var number) && m.Versions.FirstOrDefault(v => v.Number == number) is { } v
                ? Ok(new JsonObject { ["model_version"] = v.ToJson(m) })
                : Error(MlflowErrors.InvalidParameterValue, $"Registered model alias {alias} not found."))));

        // Observed: DELETE reads name and alias from a JSON body; query parameters alone are "missing".
        api.MapDelete("/registered-models/alias", async (HttpRequest request) =>
        {
            var body = await ReadJsonBodyAsync(request);
            return Locked(() => body is null || Str(body, "name") is not { Length: > 0 } name
                ? Error(MlflowErrors.InvalidParameterValue, "Missing value for required parameter 'name'. See the API docs for more information about request parameters.")
                : Str(body, "alias") is not { Length: > 0 } alias
                    ? Error(MlflowErrors.InvalidParameterValue, "Missing value for required parameter 'alias'. See the API docs for more information about request parameters.")
                    : WithModel(name, m =>
                    {
                        m.Aliases.Remove(alias);
                        return Ok(new JsonObject());
                    }));
        });

        api.MapPost("/registered-models/get-latest-versions", (JsonObject body) => Locked(() => WithModel(Str(body, "name"), m =>
        {
            var stages = body["stages"]?.AsArray().Select(s => s!.GetValue<string>()).ToList() ?? [];
            var latest = m.Versions.Where(v => v.Status == "READY")
                .Where(v => stages.Count == 0 || stages.Contains(v.Stage, StringComparer.OrdinalIgnoreCase))
                .GroupBy(v => v.Stage).Select(g => g.MaxBy(v => int.Parse(v.Number))!);
            return Ok(new JsonObject { ["model_versions"] = new JsonArray(latest.Select(v => (JsonNode?)v.ToJson(m)).ToArray()) });
        })));

        // model_registry.proto SetModelVersionTag: name, version, key, value; answers {} (as set-alias does).
        api.MapPost("/model-versions/set-tag", (JsonObject body) => Locked(() => WithVersion(Str(body, "name"), Str(body, "version"), (m, v) =>
        {
            if (Str(body, "key") is not { Length: > 0 } key)
            {
                return Error(MlflowErrors.InvalidParameterValue, "Missing value for required parameter 'key'. See the API docs for more information about request parameters.");
            }

            v.Tags[key] = Str(body, "value") ?? "";
            return Ok(new JsonObject());
        })));

        api.MapPatch("/model-versions/update", (JsonObject body) => Locked(() => WithVersion(Str(body, "name"), Str(body, "version"), (m, v) =>
        {
            v.Description = Str(body, "description") ?? v.Description;
            v.Updated = Now();
            return Ok(new JsonObject { ["model_version"] = v.ToJson(m) });
        })));

        api.MapDelete("/model-versions/delete", ([Microsoft.AspNetCore.Mvc.FromBody] JsonObject body) => Locked(() => WithVersion(Str(body, "name"), Str(body, "version"), (m, v) =>
        {
            m.Versions.Remove(v);
            foreach (var alias in m.Aliases.Where(a => a.Value == v.Number).Select(a => a.Key).ToList())
            {
                m.Aliases.Remove(alias);
            }

            return Ok(new JsonObject());
        })));

        api.MapGet("/model-versions/get-download-uri", (string? name, string? version) => Locked(() =>
            WithVersion(name, version, (_, v) => Ok(new JsonObject { ["artifact_uri"] = v.Source }))));
    }

    private void MapArtifactProxy(WebApplication app)
    {
        const string prefix = "/api/2.0/mlflow-artifacts/artifacts";
        app.MapPut(prefix + "/{**path}", async (string path, HttpRequest request) =>
        {
            if (FailArtifactUploadsUnder is { } failing && ("/" + path).Contains(failing, StringComparison.Ordinal))
            {
                // What the proxy answers when its artifact store write fails (handlers.py wraps the OSError).
                return Error(MlflowErrors.InternalError, "[Errno 28] No space left on device");
            }

            using var buffer = new MemoryStream();
            await request.Body.CopyToAsync(buffer);
            lock (_gate)
            {
                _artifacts[path] = buffer.ToArray();
            }

            return Ok(new JsonObject());
        });

        // Observed: a missing file through the proxy is a 500 with the local artifact store's errno message.
        app.MapGet(prefix + "/{**path}", (string path) => Locked(() =>
            _artifacts.TryGetValue(path, out var bytes)
                ? Results.Bytes(bytes, "application/octet-stream")
                : Error(MlflowErrors.InternalError, $"[Errno 2] No such file or directory: '/mlflow/artifacts/{path}'")));

        // handlers.py _list_artifacts_mlflow_artifacts answers base names.
        app.MapGet(prefix, (string? path) => Locked(() => Ok(new JsonObject
        {
            ["files"] = new JsonArray(ListDirectory(path ?? "")
                .Select(f => (JsonNode?)new JsonObject { ["path"] = f.Name, ["is_dir"] = f.IsDir, ["file_size"] = f.IsDir ? null : (long?)f.Size })
                .ToArray()),
        })));
    }

    private static async Task<JsonObject?> ReadJsonBodyAsync(HttpRequest request)
    {
        try
        {
            return (await System.Text.Json.JsonSerializer.DeserializeAsync<JsonNode>(request.Body)) as JsonObject;
        }
        catch (System.Text.Json.JsonException)
        {
            return null;
        }
    }

    /// <summary>Runs as (id, status, tags), for assertions.</summary>
    public IReadOnlyList<(string Id, string Status, IReadOnlyDictionary<string, string> Tags, IReadOnlyDictionary<string, string> Params)> RunSummaries
    {
        get
        {
            lock (_gate)
            {
                return _runs.Values.Select(r => (r.Id, r.Status, (IReadOnlyDictionary<string, string>)new Dictionary<string, string>(r.Tags),
                    (IReadOnlyDictionary<string, string>)new Dictionary<string, string>(r.Params))).ToList();
            }
        }
    }

    /// <summary>Versions of a registered model as (version, stage, aliases), for assertions.</summary>
    public IReadOnlyList<(string Version, string Stage, string Status)> VersionsOf(string name)
    {
        lock (_gate)
        {
            return _models.TryGetValue(name, out var m) ? m.Versions.Select(v => (v.Number, v.Stage, v.Status)).ToList() : [];
        }
    }

    /// <summary>Paths stored by the proxy, for assertions.</summary>
    public IReadOnlyList<string> ArtifactPaths
    {
        get
        {
            lock (_gate)
            {
                return _artifacts.Keys.Order(StringComparer.Ordinal).ToList();
            }
        }
    }

    private static string ProxyPath(string artifactUri) => artifactUri["mlflow-artifacts:".Length..].Trim('/');

    private IEnumerable<(string Name, bool IsDir, long Size)> ListDirectory(string dir)
    {
        var prefix = dir.Trim('/') is { Length: > 0 } d ? d + "/" : "";
        return _artifacts.Where(a => a.Key.StartsWith(prefix, StringComparison.Ordinal))
            .Select(a => (Tail: a.Key[prefix.Length..], Size: a.Value.LongLength))
            .GroupBy(a => a.Tail.Split('/')[0])
            .Select(g => (g.Key, g.Any(x => x.Tail.Contains('/')), g.Any(x => x.Tail.Contains('/')) ? 0 : g.First().Size))
            .OrderBy(f => f.Key, StringComparer.Ordinal);
    }

    private IResult WithModel(string? name, Func<RegisteredModel, IResult> action) =>
        name is not null && _models.TryGetValue(name, out var model)
            ? action(model)
            : Error(MlflowErrors.ResourceDoesNotExist, $"Registered Model with name={name} not found");

    private IResult WithVersion(string? name, string? version, Func<RegisteredModel, Version, IResult> action) =>
        WithModel(name, m => m.Versions.FirstOrDefault(v => v.Number == version) is { } v
            ? action(m, v)
            : Error(MlflowErrors.ResourceDoesNotExist, $"Model Version (name={name}, version={version}) not found"));

    private sealed class RegisteredModel(string name, long created)
    {
        public string Name => name;
        public string Description { get; set; } = "";
        public int LastVersion { get; set; }
        public List<Version> Versions { get; } = [];
        public Dictionary<string, string> Aliases { get; } = [];

        public JsonObject ToJson() => new()
        {
            ["name"] = name, ["creation_timestamp"] = created, ["last_updated_timestamp"] = created, ["description"] = Description,
            ["aliases"] = new JsonArray(Aliases.Select(a => (JsonNode?)new JsonObject { ["alias"] = a.Key, ["version"] = a.Value }).ToArray()),
            // registered_model.aliases is a list of {alias, version}; latest_versions entries never carry aliases.
            ["latest_versions"] = new JsonArray(Versions.GroupBy(v => v.Stage).Select(g => (JsonNode?)g.Last().ToJson(this, withAliases: false)).ToArray()),
        };
    }

    private sealed class Version(string name, string number, long creationTimestamp, string source, string? runId)
    {
        private readonly long _created = creationTimestamp;

        public string Number => number;
        public string Source => source;
        public string Stage { get; set; } = "None";
        public string Description { get; set; } = "";
        public long Updated { get; set; } = creationTimestamp;
        public int PollsUntilDone { get; set; }
        public string? FailWith { get; set; }
        public string Status { get; private set; } = "PENDING_REGISTRATION";
        public Dictionary<string, string> Tags { get; } = new(StringComparer.Ordinal);

        public void Advance()
        {
            if (Status == "PENDING_REGISTRATION" && PollsUntilDone-- <= 0)
            {
                Status = FailWith is null ? "READY" : "FAILED_REGISTRATION";
            }
        }

        // model_version.aliases is a list of strings (left out when empty, as at create).
        public JsonObject ToJson(RegisteredModel model, bool withAliases = true) => new()
        {
            ["name"] = name, ["version"] = number, ["creation_timestamp"] = _created, ["last_updated_timestamp"] = Updated,
            // Observed (3.9, sqlite): no user_id key at all (the server never sets one).
            ["current_stage"] = Stage, ["description"] = Description, ["source"] = source, ["run_id"] = runId,
            // Observed (3.9): model_id is accepted on create but never in an answer (ModelVersion.to_proto leaves it out).
            ["status"] = Status, ["status_message"] = Status == "FAILED_REGISTRATION" ? FailWith : null, ["run_link"] = "",
            ["aliases"] = withAliases ? new JsonArray(model.Aliases.Where(a => a.Value == number).Select(a => (JsonNode?)a.Key).ToArray()) : null,
            // model_version.tags is a list of {key, value}, left out when empty.
            ["tags"] = Tags.Count == 0 ? null : new JsonArray(Tags.Select(t => (JsonNode?)new JsonObject { ["key"] = t.Key, ["value"] = t.Value }).ToArray()),
        };
    }
}

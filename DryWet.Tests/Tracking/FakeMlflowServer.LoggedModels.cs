using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace DryWet.Tests.Tracking;

// Datasets (runs/log-inputs, MLflow >= 2.4) and LoggedModels (MLflow >= 3: POST logged-models, PATCH/GET
// logged-models/{model_id}, POST logged-models/search, POST runs/outputs), after mlflow/protos/service.proto and the
// SQL store: a model starts LOGGED_MODEL_PENDING with artifact_uri <experiment artifact location>/models/<id>/artifacts,
// ids are "m-" + 32 hex digits. With ServerVersion 2.x these routes do not exist, and the server answers as a 2.x
// Flask server does for any unknown URL: 404 with werkzeug's HTML page (no MLflow error JSON).
public sealed partial class FakeMlflowServer
{
    private readonly Dictionary<string, LoggedModel> _loggedModels = [];

    /// <summary>Artifact uploads whose path contains this fail with the proxy's 500 (a full or broken artifact store).</summary>
    public string? FailArtifactUploadsUnder { get; set; }

    /// <summary>What /version reports; a major version below 3 removes the LoggedModel routes.</summary>
    public string ServerVersion { get; set; } = "3.9.0";

    private bool HasLoggedModels => System.Version.Parse(ServerVersion) >= new System.Version(3, 0);

    // runs/log-inputs came with MLflow 2.4.
    private bool HasLogInputs => System.Version.Parse(ServerVersion) >= new System.Version(2, 4);

    private static IResult NotFoundPage() => Results.Text(
        "<!doctype html>\n<html lang=en>\n<title>404 Not Found</title>\n<h1>Not Found</h1>\n<p>The requested URL was not found on the server. If you entered the URL manually please check your spelling and try again.</p>\n",
        "text/html; charset=utf-8", statusCode: StatusCodes.Status404NotFound);

    private void MapLoggedModels(RouteGroupBuilder api)
    {
        api.MapPost("/runs/log-inputs", (JsonObject body) => !HasLogInputs ? NotFoundPage() : Locked(() => WithRun(Str(body, "run_id"), run =>
        {
            var inputs = body["datasets"]?.AsArray() ?? [];
            for (var i = 0; i < inputs.Count; i++)
            {
                if (inputs[i]?["dataset"] is not JsonObject dataset)
                {
                    return Error(MlflowErrors.InvalidParameterValue, $"Missing value for required parameter 'datasets[{i}].dataset'.");
                }

                // MLflow 3.9 (sqlite store, observed 2026-12-07) accepts a dataset without name, digest, source type or
                // source and keeps each as "".
                foreach (var field in new[] { "name", "digest", "source_type", "source" })
                {
                    dataset[field] ??= "";
                }

                // As MLflow 3.9 answers (checked against the real server): the name first, then the digest.
                foreach (var (field, max) in new[] { ("name", 500), ("digest", 36) })
                {
                    if (Str(dataset, field)!.Length > max)
                    {
                        return Error(MlflowErrors.InvalidParameterValue, $"'{field}' exceeds the maximum length of {max} characters");
                    }
                }
            }

            foreach (var input in inputs)
            {
                // One input per (dataset name, digest) and run, as the SQL store keeps it.
                var (name, digest) = (Str(input!["dataset"]!, "name"), Str(input["dataset"]!, "digest"));
                run.Inputs.RemoveAll(x => Str(x["dataset"]!, "name") == name && Str(x["dataset"]!, "digest") == digest);
                run.Inputs.Add(input.DeepClone().AsObject());
            }

            return Ok(new JsonObject());
        })));

        api.MapPost("/logged-models", (JsonObject body) => !HasLoggedModels ? NotFoundPage() : Locked(() =>
        {
            var experiment = _experiments.FirstOrDefault(e => e.Id == Str(body, "experiment_id"));
            if (experiment is null)
            {
                return Error(MlflowErrors.ResourceDoesNotExist, $"No Experiment with id={Str(body, "experiment_id")} exists");
            }

            var id = "m-" + Guid.NewGuid().ToString("N");
            var model = new LoggedModel(id, experiment.Id, Str(body, "name") ?? $"model-{id[2..10]}", $"{experiment.ArtifactLocation}/models/{id}/artifacts",
                Str(body, "source_run_id"), Str(body, "model_type"), Now(), body["params"]?.DeepClone().AsArray() ?? [], body["tags"]?.DeepClone().AsArray() ?? []);
            _loggedModels[id] = model;
            return Ok(new JsonObject { ["model"] = model.ToJson() });
        }));

        api.MapMethods("/logged-models/{model_id}", ["PATCH"], (string model_id, JsonObject body) => !HasLoggedModels ? NotFoundPage() : Locked(() =>
            WithLoggedModel(model_id, model =>
            {
                var status = Str(body, "status");
                if (status is not ("LOGGED_MODEL_READY" or "LOGGED_MODEL_UPLOAD_FAILED" or "LOGGED_MODEL_PENDING"))
                {
                    return Error(MlflowErrors.InvalidParameterValue, $"Invalid value \"{status}\" for parameter 'status'.");
                }

                model.Status = status;
                model.LastUpdated = Now();
                return Ok(new JsonObject { ["model"] = model.ToJson() });
            })));

        api.MapGet("/logged-models/{model_id}", (string model_id) => !HasLoggedModels ? NotFoundPage() : Locked(() =>
            WithLoggedModel(model_id, model => Ok(new JsonObject { ["model"] = model.ToJson() }))));

        api.MapPost("/logged-models/search", (JsonObject body) => !HasLoggedModels ? NotFoundPage() : Locked(() =>
        {
            var experiments = (body["experiment_ids"]?.AsArray() ?? []).Select(e => e!.GetValue<string>()).ToHashSet();
            var models = _loggedModels.Values.Where(m => experiments.Contains(m.ExperimentId)).OrderByDescending(m => m.Created)
                .Select(m => (JsonNode?)m.ToJson()).ToArray();
            return Ok(new JsonObject { ["models"] = new JsonArray(models) });
        }));

        api.MapPost("/runs/outputs", (JsonObject body) => !HasLoggedModels ? NotFoundPage() : Locked(() => WithRun(Str(body, "run_id"), run =>
        {
            var outputs = body["models"]?.AsArray() ?? [];
            if (outputs.Select(o => Str(o!, "model_id")).FirstOrDefault(id => id is null || !_loggedModels.ContainsKey(id)) is { } unknown)
            {
                return Error(MlflowErrors.ResourceDoesNotExist, $"Logged model with ID '{unknown}' not found.");
            }

            foreach (var output in outputs)
            {
                run.Outputs.Add(new JsonObject { ["model_id"] = Str(output!, "model_id"), ["step"] = output!["step"]?.GetValue<long>() ?? 0 });
            }

            return Ok(new JsonObject());
        })));
    }

    private const string ModelVersionsTag = "mlflow.modelVersions";

    /// <summary>What Python's json.dumps writes: ", " between items and ": " after keys.</summary>
    private static string PythonJson(JsonArray list) =>
        "[" + string.Join(", ", list.Select(o => "{" + string.Join(", ", o!.AsObject().Select(kv =>
            $"{JsonValue.Create(kv.Key).ToJsonString()}: {kv.Value!.ToJsonString()}")) + "}")) + "]";

    private IResult WithLoggedModel(string modelId, Func<LoggedModel, IResult> action) =>
        _loggedModels.TryGetValue(modelId, out var model)
            ? action(model)
            : Error(MlflowErrors.ResourceDoesNotExist, $"Logged model with ID '{modelId}' not found.");

    private sealed class LoggedModel(string id, string experimentId, string name, string artifactUri, string? sourceRunId, string? modelType,
        long created, JsonArray parameters, JsonArray tags)
    {
        public string ExperimentId => experimentId;
        public string? SourceRunId => string.IsNullOrEmpty(sourceRunId) ? null : sourceRunId;
        public long Created { get; } = created;
        public string Status { get; set; } = "LOGGED_MODEL_PENDING";
        public long LastUpdated { get; set; } = created;

        /// <summary>Appends {name, version} to the tag mlflow.modelVersions (abstract_store.set_model_versions_tags).</summary>
        public void AddModelVersion(string modelName, string version)
        {
            var existing = tags.FirstOrDefault(t => Str(t!, "key") == ModelVersionsTag);
            var list = existing is null ? [] : JsonNode.Parse(Str(existing, "value")!)!.AsArray();
            // Observed: the version is a JSON number here (the store's integer), unlike everywhere else in the REST API.
            list.Add(new JsonObject { ["name"] = modelName, ["version"] = int.Parse(version) });
            tags.Remove(existing);
            tags.Add(new JsonObject { ["key"] = ModelVersionsTag, ["value"] = PythonJson(list) });
        }

        public JsonObject ToJson() => new()
        {
            ["info"] = new JsonObject
            {
                ["model_id"] = id, ["experiment_id"] = experimentId, ["name"] = name, ["creation_timestamp_ms"] = Created,
                ["last_updated_timestamp_ms"] = LastUpdated, ["artifact_uri"] = artifactUri, ["status"] = Status,
                // Observed: an unset model_type or source_run_id is answered as "" (the SQL store's empty string), not left out.
                ["model_type"] = modelType ?? "", ["source_run_id"] = sourceRunId ?? "", ["tags"] = tags.DeepClone(),
            },
            ["data"] = new JsonObject { ["params"] = parameters.DeepClone() },
        };
    }
}

using System.Text.Json;

namespace DryWet.Core.Tracking.Mlflow;

// The MLflow Model Registry (mlflow/protos/model_registry.proto).
public sealed partial class MlflowClient
{
    /// <summary>The registered model, or null when there is none.</summary>
    public async Task<MlflowRegisteredModel?> GetRegisteredModelAsync(string name, CancellationToken cancellationToken = default)
    {
        try
        {
            return (await GetAsync<RegisteredModelResponse>($"registered-models/get?name={Q(name)}", "registered-models/get", cancellationToken)).RegisteredModel;
        }
        catch (MlflowException ex) when (ex.IsNotFound)
        {
            return null;
        }
    }

    /// <summary>Creates the registered model; throws <see cref="MlflowException"/> RESOURCE_ALREADY_EXISTS (HTTP 400) when it exists.</summary>
    public async Task<MlflowRegisteredModel> CreateRegisteredModelAsync(string name, string? description = null, CancellationToken cancellationToken = default) =>
        (await PostAsync<RegisteredModelResponse>("registered-models/create", new RegisteredModelRequest(name, description), retrySafe: true, cancellationToken)).RegisteredModel;

    public async Task<MlflowRegisteredModel> GetOrCreateRegisteredModelAsync(string name, CancellationToken cancellationToken = default)
    {
        var existing = await GetRegisteredModelAsync(name, cancellationToken);
        if (existing is not null)
        {
            return existing;
        }

        try
        {
            return await CreateRegisteredModelAsync(name, cancellationToken: cancellationToken);
        }
        catch (MlflowException ex) when (ex.IsAlreadyExists)
        {
            return await GetRegisteredModelAsync(name, cancellationToken)
                ?? throw new DryWetException($"MLflow says registered model '{name}' exists but cannot find it.");
        }
    }

    /// <summary>
    /// Creates a model version. <paramref name="source"/> must be a resolved artifact URI (the LoggedModel's
    /// artifact_uri, or on MLflow 2 the run's artifact_uri + "/model"), not runs:/..., so that get-download-uri works for
    /// non-Python clients. <paramref name="modelId"/> (MLflow ≥ 3) links the version to its LoggedModel: the server
    /// records it as the version's model_id and tags the LoggedModel <c>mlflow.modelVersions</c>.
    /// </summary>
    public async Task<MlflowModelVersion> CreateModelVersionAsync(string name, string source, string? runId,
        string? description = null, string? modelId = null, CancellationToken cancellationToken = default) =>
        // Not retry-safe: a repeated create registers a second version.
        (await PostAsync<ModelVersionResponse>("model-versions/create",
            new CreateModelVersionRequest(name, source, runId, description, modelId), retrySafe: false, cancellationToken)).ModelVersion;

    public async Task<MlflowModelVersion> GetModelVersionAsync(string name, string version, CancellationToken cancellationToken = default) =>
        (await GetAsync<ModelVersionResponse>($"model-versions/get?name={Q(name)}&version={Q(version)}", "model-versions/get", cancellationToken)).ModelVersion;

    /// <summary>
    /// Polls model-versions/get until the version is READY. FAILED_REGISTRATION, or still pending after
    /// <see cref="MlflowClientOptions.ReadyTimeout"/>, throws (the caller deletes the version).
    /// </summary>
    public async Task<MlflowModelVersion> WaitUntilReadyAsync(string name, string version, CancellationToken cancellationToken = default)
    {
        var deadline = DateTimeOffset.UtcNow + Options.ReadyTimeout;
        while (true)
        {
            var current = await GetModelVersionAsync(name, version, cancellationToken);
            switch (current.Status)
            {
                case MlflowModelVersionStatus.Ready:
                case null: // Servers before status existed: a created version is usable.
                    return current;
                case MlflowModelVersionStatus.FailedRegistration:
                    throw new MlflowServerFailureException($"MLflow could not register {name} version {version}: {current.StatusMessage ?? "FAILED_REGISTRATION"}.");
            }

            if (DateTimeOffset.UtcNow >= deadline)
            {
                throw new MlflowServerFailureException($"{name} version {version} was still {current.Status} after {Options.ReadyTimeout.TotalSeconds:0} s.");
            }

            await Task.Delay(Options.ReadyPollInterval, cancellationToken);
        }
    }

    /// <summary>Moves the version to a stage; with archive=true the previous holders of Staging/Production become Archived.</summary>
    public async Task<MlflowModelVersion> TransitionStageAsync(string name, string version, string stage,
        bool archiveExistingVersions, CancellationToken cancellationToken = default) =>
        (await PostAsync<ModelVersionResponse>("model-versions/transition-stage",
            new TransitionStageRequest(name, version, stage, archiveExistingVersions), retrySafe: true, cancellationToken)).ModelVersion;

    public Task SetAliasAsync(string name, string alias, string version, CancellationToken cancellationToken = default) =>
        PostAsync<JsonElement>("registered-models/alias", new SetAliasRequest(name, alias, version), retrySafe: true, cancellationToken);

    /// <summary>Sets (or overwrites) one tag of a model version; the answer is <c>{}</c>.</summary>
    public Task SetModelVersionTagAsync(string name, string version, string key, string value, CancellationToken cancellationToken = default) =>
        PostAsync<JsonElement>("model-versions/set-tag", new SetModelVersionTagRequest(name, version, key, value), retrySafe: true, cancellationToken);

    /// <summary>Removes an alias (MLflow reads name and alias from a JSON body here, not from the query).</summary>
    public Task DeleteAliasAsync(string name, string alias, CancellationToken cancellationToken = default) =>
        SendJsonAsync<JsonElement>(HttpMethod.Delete, Api + "registered-models/alias",
            new DeleteAliasRequest(name, alias), retrySafe: true, "registered-models/alias", cancellationToken);

    /// <summary>The version an alias points at, or null when the model or the alias does not exist.</summary>
    public async Task<MlflowModelVersion?> GetModelVersionByAliasAsync(string name, string alias, CancellationToken cancellationToken = default)
    {
        try
        {
            return (await GetAsync<ModelVersionResponse>($"registered-models/alias?name={Q(name)}&alias={Q(alias)}", "registered-models/alias", cancellationToken)).ModelVersion;
        }
        catch (MlflowException ex) when (ex.IsNotFound || IsMissingAlias(ex))
        {
            return null;
        }
    }

    /// <summary>Every version of the registered model (model-versions/search, all pages); empty when it does not exist.</summary>
    public async Task<IReadOnlyList<MlflowModelVersion>> SearchModelVersionsAsync(string name, CancellationToken cancellationToken = default)
    {
        var all = new List<MlflowModelVersion>();
        string? page = null;
        do
        {
            var query = $"model-versions/search?filter={Q($"name='{name.Replace("'", "\\'", StringComparison.Ordinal)}'")}&max_results=200" +
                        (page is null ? "" : $"&page_token={Q(page)}");
            var response = await GetAsync<ModelVersionsPage>(query, "model-versions/search", cancellationToken);
            all.AddRange(response.ModelVersions ?? []);
            page = string.IsNullOrEmpty(response.NextPageToken) ? null : response.NextPageToken;
        }
        while (page is not null);

        return all;
    }

    // A real MLflow 3.9 answers a missing alias with 400 INVALID_PARAMETER_VALUE "Registered model alias <a> not found.",
    // not 404. Other INVALID_PARAMETER_VALUE answers (a malformed alias name) stay errors: they are configuration faults.
    private static bool IsMissingAlias(MlflowException ex) =>
        ex is { StatusCode: 400, ErrorCode: MlflowException.InvalidParameterValue }
        && ex.ServerMessage.Contains("not found", StringComparison.OrdinalIgnoreCase);

    /// <summary>The latest READY version per requested stage (empty when the model does not exist).</summary>
    public async Task<IReadOnlyList<MlflowModelVersion>> GetLatestVersionsAsync(string name, IReadOnlyList<string> stages,
        CancellationToken cancellationToken = default)
    {
        try
        {
            var response = await PostAsync<ModelVersionsResponse>("registered-models/get-latest-versions",
                new GetLatestVersionsRequest(name, stages), retrySafe: true, cancellationToken);
            return response.ModelVersions ?? [];
        }
        catch (MlflowException ex) when (ex.IsNotFound)
        {
            return [];
        }
    }

    public async Task<MlflowModelVersion> UpdateModelVersionDescriptionAsync(string name, string version, string description,
        CancellationToken cancellationToken = default) =>
        (await SendJsonAsync<ModelVersionResponse>(HttpMethod.Patch, Api + "model-versions/update",
            new UpdateModelVersionRequest(name, version, description), retrySafe: true, "model-versions/update", cancellationToken)).ModelVersion;

    public Task DeleteModelVersionAsync(string name, string version, CancellationToken cancellationToken = default) =>
        SendJsonAsync<JsonElement>(HttpMethod.Delete, Api + "model-versions/delete",
            new DeleteModelVersionRequest(name, version), retrySafe: true, "model-versions/delete", cancellationToken);

    public async Task<string> GetDownloadUriAsync(string name, string version, CancellationToken cancellationToken = default) =>
        (await GetAsync<DownloadUriResponse>($"model-versions/get-download-uri?name={Q(name)}&version={Q(version)}",
            "model-versions/get-download-uri", cancellationToken)).ArtifactUri;
}

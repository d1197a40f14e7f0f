using DryWet.Core.Storage;
using DryWet.Core.Tracking.Mlflow;
using Microsoft.Extensions.Logging;

namespace DryWet.Core.Registry;

/// <summary>The MLflow Model Registry through <see cref="MlflowClient"/>; artifacts come from the version's source URI.</summary>
public sealed class MlflowModelRegistry(MlflowClient client, MlflowArtifactLocation artifacts, ILogger<MlflowModelRegistry> logger) : IModelRegistry
{
    public string Description => $"MLflow registry at {client.BaseAddress}";

    public async Task<ModelVersion> RegisterAsync(string name, string source, string? runId, string? description = null,
        string? modelId = null, CancellationToken cancellationToken = default)
    {
        if (source.StartsWith("runs:/", StringComparison.Ordinal))
        {
            throw new DryWetException($"Register from the run's resolved artifact URI (artifact_uri + \"/model\"), not '{source}': MLflow cannot give non-Python clients a download URI for runs:/ sources.");
        }

        await client.GetOrCreateRegisteredModelAsync(name, cancellationToken);
        var created = await client.CreateModelVersionAsync(name, source, runId, description, modelId, cancellationToken);
        try
        {
            var ready = await client.WaitUntilReadyAsync(name, created.Version, cancellationToken);
            logger.LogInformation("Registered {Model} version {Version} from {Source}", name, ready.Version, source);
            return ToPort(ready);
        }
        catch (Exception ex)
        {
            // Never leave a version that is not READY behind: delete it, then report the original failure.
            logger.LogError("Registration of {Model} version {Version} failed ({Error}); deleting the version", name, created.Version, ex.Message);
            try
            {
                await client.DeleteModelVersionAsync(name, created.Version, CancellationToken.None);
            }
            catch (Exception deleteError) when (deleteError is DryWetException or HttpRequestException)
            {
                throw new DryWetException($"Registering {name} version {created.Version} failed ({ex.Message}) and deleting it failed too ({deleteError.Message}); delete it in the MLflow UI.", ex);
            }

            throw;
        }
    }

    public async Task<ModelVersion> PromoteAsync(string name, string version, string alias = "production", string stage = "Production",
        CancellationToken cancellationToken = default)
    {
        // Stage first (archiving the previous holder), then the alias: a reader that resolves by alias sees the old
        // version until the new one is fully promoted. Both are retry-safe, so a rerun finishes a half-done promotion.
        // MLflow accepts archive_existing_versions=true only for the active stages (Staging, Production).
        await client.TransitionStageAsync(name, version, stage, archiveExistingVersions: stage is "Staging" or "Production", cancellationToken);
        await client.SetAliasAsync(name, alias, version, cancellationToken);
        logger.LogInformation("Promoted {Model} version {Version}: alias {Alias}, stage {Stage}", name, version, alias, stage);
        return ToPort(await client.GetModelVersionAsync(name, version, cancellationToken));
    }

    public async Task<ModelVersion> SetAliasAsync(string name, string alias, string version, CancellationToken cancellationToken = default)
    {
        await client.SetAliasAsync(name, alias, version, cancellationToken);
        logger.LogInformation("Set alias {Alias} of {Model} to version {Version}", alias, name, version);
        return ToPort(await client.GetModelVersionAsync(name, version, cancellationToken));
    }

    public async Task SetVersionTagsAsync(string name, string version, IReadOnlyDictionary<string, string> tags,
        CancellationToken cancellationToken = default)
    {
        // MLflow has no batch call for version tags: one set-tag per key, each idempotent.
        foreach (var (key, value) in tags)
        {
            await client.SetModelVersionTagAsync(name, version, key, value, cancellationToken);
        }
    }

    public async Task<ModelVersion> UpdateDescriptionAsync(string name, string version, string description,
        CancellationToken cancellationToken = default) =>
        ToPort(await client.UpdateModelVersionDescriptionAsync(name, version, description, cancellationToken));

    public async Task<ModelVersion?> ResolveAsync(string name, string alias = "production", string fallbackStage = "Production",
        CancellationToken cancellationToken = default)
    {
        var byAlias = await client.GetModelVersionByAliasAsync(name, alias, cancellationToken);
        if (byAlias is not null)
        {
            return ToPort(byAlias);
        }

        // Registries promoted before aliases existed (or by stage only): the newest version in the stage.
        var latest = await client.GetLatestVersionsAsync(name, [fallbackStage], cancellationToken);
        var pick = latest.Where(v => v.CurrentStage == fallbackStage).MaxBy(v => long.TryParse(v.Version, out var n) ? n : 0);
        return pick is null ? null : ToPort(pick);
    }

    /// <remarks>Search results carry no aliases on every server, so they come from the registered model's alias list.</remarks>
    public async Task<IReadOnlyList<ModelVersion>> ListVersionsAsync(string name, CancellationToken cancellationToken = default)
    {
        var model = await client.GetRegisteredModelAsync(name, cancellationToken);
        if (model is null)
        {
            return [];
        }

        var aliases = (model.Aliases ?? []).ToLookup(a => a.Version, a => a.Alias);
        var versions = await client.SearchModelVersionsAsync(name, cancellationToken);
        return versions
            .OrderByDescending(v => long.TryParse(v.Version, out var n) ? n : 0)
            .Select(v => ToPort(v) with { Aliases = [.. aliases[v.Version]] })
            .ToList();
    }

    public async Task DownloadAsync(ModelVersion version, string destinationDirectory, CancellationToken cancellationToken = default)
    {
        var source = await client.GetDownloadUriAsync(version.Name, version.Version, cancellationToken);
        var files = await artifacts.ListFilesAsync(source, cancellationToken);
        if (files.Count == 0)
        {
            throw new DryWetException($"{version.Name} version {version.Version} has no files at '{source}'.");
        }

        await AtomicDirectory.WriteAsync(destinationDirectory, async temp =>
        {
            foreach (var file in files)
            {
                await artifacts.DownloadAsync(source, file, Path.Combine(temp, file.Replace('/', Path.DirectorySeparatorChar)), cancellationToken);
            }
        });
        logger.LogInformation("Downloaded {Model} version {Version} ({Count} files) from {Source} to {Destination}",
            version.Name, version.Version, files.Count, source, destinationDirectory);
    }

    internal static ModelVersion ToPort(MlflowModelVersion v) => new(
        v.Name, v.Version, v.CurrentStage ?? "None", v.Description ?? "", v.CreationTimestamp ?? 0, v.LastUpdatedTimestamp ?? 0,
        v.Source ?? "", string.IsNullOrEmpty(v.RunId) ? null : v.RunId, v.Status ?? MlflowModelVersionStatus.Ready, v.Aliases ?? [],
        (v.Tags ?? []).ToDictionary(t => t.Key, t => t.Value, StringComparer.Ordinal));
}

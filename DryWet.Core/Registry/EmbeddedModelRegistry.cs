using System.Globalization;
using DryWet.Core.Storage;
using DryWet.Core.Tracking;
using DryWet.Core.Tracking.Mlflow;
using Microsoft.Extensions.Logging;

namespace DryWet.Core.Registry;

/// <summary>
/// The model registry on local disk, in MLflow's file-store registry layout under <c>&lt;DryWet:Home&gt;/mlruns/models/</c>
/// (see <see cref="RegistryFileStore"/>), so <c>mlflow server --backend-store-uri file://&lt;home&gt;/mlruns</c> shows the
/// registered models with their versions, stages, aliases, tags and descriptions. The package files are copied in
/// (<c>version-&lt;n&gt;/model/</c>), so a version stays loadable after its run folder is gone. Changes happen under one
/// file lock (<c>models/.lock</c>). A home still holding the old <c>registry/</c> folder is migrated once, on first use
/// (see <see cref="LegacyRegistryMigration"/>).
/// </summary>
/// <param name="mlrunsRoot"><c>&lt;home&gt;/mlruns</c>: the registry lives in its <c>models/</c> folder.</param>
/// <param name="legacyRoot">The pre-file-store <c>&lt;home&gt;/registry</c> folder to migrate, if any.</param>
public sealed class EmbeddedModelRegistry(string mlrunsRoot, ILogger<EmbeddedModelRegistry> logger, string? legacyRoot = null) : IModelRegistry
{
    private static readonly string[] StagesThatArchive = ["Staging", "Production"];
    private readonly RegistryFileStore _store = new(Path.Combine(mlrunsRoot, "models"));
    private bool _migrated;

    public string Description => $"embedded registry at {_store.Root}";

    public async Task<ModelVersion> RegisterAsync(string name, string source, string? runId, string? description = null,
        string? modelId = null, CancellationToken cancellationToken = default)
    {
        ValidateName(name);
        var loggedModel = modelId is null ? null : EmbeddedLoggedModels.FindModelDir(mlrunsRoot, modelId)
            ?? throw new DryWetException($"Cannot register {name} from LoggedModel '{modelId}': there is no such model under {mlrunsRoot}.");
        var sourceDir = LocalPath(source);
        if (!File.Exists(Path.Combine(sourceDir, "MLmodel")))
        {
            throw new DryWetException($"Cannot register '{source}': it is not a model folder (no MLmodel file). Log the model to the run first.");
        }

        using (await LockAsync(cancellationToken))
        {
            if (!_store.ModelExists(name))
            {
                await _store.TouchModelAsync(name, DateTimeOffset.UtcNow.ToUnixTimeMilliseconds(), cancellationToken);
            }
        }

        // Copy outside the lock (it may be tens of MB), then take a number and rename into place under the lock.
        var staging = Path.Combine(_store.ModelDir(name), $".staging-{Guid.NewGuid():N}");
        try
        {
            AtomicDirectory.CopyTree(sourceDir, Path.Combine(staging, RegistryFileStore.ModelFolder));
            using var _ = await LockAsync(cancellationToken);
            var number = _store.AllVersions(name).Select(Number).DefaultIfEmpty(0).Max() + 1;
            var now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
            var record = new MlflowModelVersion(name, number.ToString(CultureInfo.InvariantCulture), now, now, "None", description ?? "",
                source, runId, MlflowModelVersionStatus.Ready, null, null, [], modelId);
            var versionDir = _store.VersionDir(name, record.Version);
            // meta.yaml's storage_location names the final folder; the rename puts the files there.
            await _store.WriteVersionAsync(staging, record, cancellationToken, storageDir: versionDir);
            Directory.Move(staging, versionDir);
            await _store.TouchModelAsync(name, now, cancellationToken);
            if (loggedModel is not null)
            {
                // What MLflow's server does on model-versions/create with a model_id: the LoggedModel names its versions.
                await EmbeddedLoggedModels.AddModelVersionAsync(loggedModel, name, record.Version, cancellationToken);
            }

            logger.LogInformation("Registered {Model} version {Version} from {Source}", name, record.Version, source);
            return ToPort(record, name);
        }
        finally
        {
            if (Directory.Exists(staging))
            {
                Directory.Delete(staging, recursive: true);
            }
        }
    }

    public async Task<ModelVersion> PromoteAsync(string name, string version, string alias = "production", string stage = "Production",
        CancellationToken cancellationToken = default)
    {
        ValidateAlias(alias);
        using var _ = await LockAsync(cancellationToken);
        var target = Read(name, version);
        var now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        if (StagesThatArchive.Contains(stage))
        {
            foreach (var other in _store.AllVersions(name).Where(v => v.CurrentStage == stage && v.Version != version))
            {
                await _store.WriteVersionAsync(_store.VersionDir(name, other.Version), other with { CurrentStage = "Archived", LastUpdatedTimestamp = now }, cancellationToken);
            }
        }

        await _store.WriteVersionAsync(_store.VersionDir(name, version), target with { CurrentStage = stage, LastUpdatedTimestamp = now }, cancellationToken);
        await _store.WriteAliasAsync(name, alias, version, cancellationToken);
        await _store.TouchModelAsync(name, now, cancellationToken);
        logger.LogInformation("Promoted {Model} version {Version}: alias {Alias}, stage {Stage}", name, version, alias, stage);
        return ToPort(Read(name, version), name);
    }

    public async Task<ModelVersion> SetAliasAsync(string name, string alias, string version, CancellationToken cancellationToken = default)
    {
        ValidateAlias(alias);
        using var _ = await LockAsync(cancellationToken);
        Read(name, version);
        await _store.WriteAliasAsync(name, alias, version, cancellationToken);
        await _store.TouchModelAsync(name, DateTimeOffset.UtcNow.ToUnixTimeMilliseconds(), cancellationToken);
        logger.LogInformation("Set alias {Alias} of {Model} to version {Version}", alias, name, version);
        return ToPort(Read(name, version), name);
    }

    public async Task SetVersionTagsAsync(string name, string version, IReadOnlyDictionary<string, string> tags,
        CancellationToken cancellationToken = default)
    {
        foreach (var key in tags.Keys)
        {
            TrackingNames.ValidateKey("version tag", key);
        }

        using var _ = await LockAsync(cancellationToken);
        var current = Read(name, version);
        var merged = (current.Tags ?? []).ToDictionary(t => t.Key, t => t.Value, StringComparer.Ordinal);
        foreach (var (key, value) in tags)
        {
            merged[key] = value;
        }

        await _store.WriteVersionAsync(_store.VersionDir(name, version), current with
        {
            Tags = merged.OrderBy(t => t.Key, StringComparer.Ordinal).Select(t => new MlflowTag(t.Key, t.Value)).ToList(),
            LastUpdatedTimestamp = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds(),
        }, cancellationToken);
    }

    public async Task<ModelVersion> UpdateDescriptionAsync(string name, string version, string description,
        CancellationToken cancellationToken = default)
    {
        using var _ = await LockAsync(cancellationToken);
        var current = Read(name, version);
        await _store.WriteVersionAsync(_store.VersionDir(name, version),
            current with { Description = description, LastUpdatedTimestamp = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() }, cancellationToken);
        return ToPort(Read(name, version), name);
    }

    public async Task<ModelVersion?> ResolveAsync(string name, string alias = "production", string fallbackStage = "Production",
        CancellationToken cancellationToken = default)
    {
        ValidateName(name);
        ValidateAlias(alias);
        await EnsureMigratedAsync(cancellationToken);
        if (_store.Aliases(name).TryGetValue(alias, out var aliased) && _store.ReadVersion(name, aliased) is { } byAlias)
        {
            return ToPort(byAlias, name);
        }

        var pick = _store.AllVersions(name).Where(v => v.CurrentStage == fallbackStage).MaxBy(Number);
        return pick is null ? null : ToPort(pick, name);
    }

    public async Task<IReadOnlyList<ModelVersion>> ListVersionsAsync(string name, CancellationToken cancellationToken = default)
    {
        ValidateName(name);
        await EnsureMigratedAsync(cancellationToken);
        return _store.AllVersions(name).OrderByDescending(Number).Select(v => ToPort(v, name)).ToList();
    }

    public async Task DownloadAsync(ModelVersion version, string destinationDirectory, CancellationToken cancellationToken = default)
    {
        ValidateName(version.Name);
        await EnsureMigratedAsync(cancellationToken);
        var source = _store.PackageDir(version.Name, version.Version);
        if (!Directory.Exists(source))
        {
            throw new DryWetException($"{version.Name} version {version.Version} has no model files in {Description}.");
        }

        await AtomicDirectory.WriteAsync(destinationDirectory, temp =>
        {
            AtomicDirectory.CopyTree(source, temp);
            return Task.CompletedTask;
        });
    }

    /// <summary>The registry-wide lock, after the one-time migration of an old <c>registry/</c> folder.</summary>
    private async Task<FileLock> LockAsync(CancellationToken cancellationToken)
    {
        await EnsureMigratedAsync(cancellationToken);
        return await FileLock.AcquireAsync(Path.Combine(_store.Root, ".lock"), cancellationToken: cancellationToken);
    }

    private async Task EnsureMigratedAsync(CancellationToken cancellationToken)
    {
        if (_migrated || legacyRoot is null || !Directory.Exists(legacyRoot))
        {
            _migrated = true;
            return;
        }

        using (await FileLock.AcquireAsync(Path.Combine(_store.Root, ".lock"), cancellationToken: cancellationToken))
        {
            await LegacyRegistryMigration.RunAsync(legacyRoot, _store, logger, cancellationToken);
        }

        _migrated = true;
    }

    private MlflowModelVersion Read(string name, string version)
    {
        ValidateName(name);
        return _store.ReadVersion(name, version)
            ?? throw new DryWetException($"Model '{name}' has no version '{version}' in {Description}.");
    }

    private static long Number(MlflowModelVersion version) => long.Parse(version.Version, CultureInfo.InvariantCulture);

    private ModelVersion ToPort(MlflowModelVersion record, string name)
    {
        var aliases = _store.Aliases(name).Where(a => a.Value == record.Version).Select(a => a.Key).Order(StringComparer.Ordinal).ToList();
        return MlflowModelRegistry.ToPort(record with { Aliases = aliases });
    }

    private static string LocalPath(string source)
    {
        if (Uri.TryCreate(source, UriKind.Absolute, out var uri) && uri.IsFile)
        {
            return uri.LocalPath;
        }

        if (Path.IsPathRooted(source))
        {
            return source;
        }

        throw new DryWetException($"The embedded registry registers local model folders (file:// or an absolute path), not '{source}'. Use the MLflow registry (ConnectionStrings:mlflow) for remote artifacts.");
    }

    private static void ValidateName(string name)
    {
        if (string.IsNullOrWhiteSpace(name) || name.Length > 200 || name.Any(c => !(char.IsAsciiLetterOrDigit(c) || c is '_' or '-' or '.')) || name.StartsWith('.'))
        {
            throw new DryWetException($"Registered model name '{name}' is invalid: use letters, digits, '_', '-' or '.' (e.g. dry_wet_model).");
        }
    }

    private static void ValidateAlias(string alias)
    {
        if (string.IsNullOrWhiteSpace(alias) || alias.Any(c => !(char.IsAsciiLetterOrDigit(c) || c is '_' or '-')))
        {
            throw new DryWetException($"Alias '{alias}' is invalid: use letters, digits, '_' or '-' (e.g. production).");
        }
    }
}

using System.Globalization;
using System.Text.Json;
using DryWet.Core.Storage;
using DryWet.Core.Tracking.Mlflow;
using Microsoft.Extensions.Logging;

namespace DryWet.Core.Registry;

/// <summary>
/// The model registry on local disk: <c>registry/&lt;name&gt;/versions/&lt;n&gt;/{version.json, model/}</c> (version.json
/// has MLflow's ModelVersion fields), <c>registry/&lt;name&gt;/aliases/&lt;alias&gt;</c> (a version number). The package
/// files are copied in, so a version stays loadable after its run folder is gone. Changes happen under a file lock.
/// </summary>
public sealed class EmbeddedModelRegistry(string root, ILogger<EmbeddedModelRegistry> logger) : IModelRegistry
{
    private const string VersionFile = "version.json";
    private const string ModelFolder = "model";
    private static readonly string[] StagesThatArchive = ["Staging", "Production"];
    private readonly string _root = Path.GetFullPath(root);

    public string Description => $"embedded registry at {_root}";

    public async Task<ModelVersion> RegisterAsync(string name, string source, string? runId, string? description = null,
        CancellationToken cancellationToken = default)
    {
        var modelDir = ModelDir(name);
        var sourceDir = LocalPath(source);
        if (!File.Exists(Path.Combine(sourceDir, "MLmodel")))
        {
            throw new DryWetException($"Cannot register '{source}': it is not a model folder (no MLmodel file). Log the model to the run first.");
        }

        // Copy outside the lock (it may be tens of MB), then take a number and rename into place under the lock.
        var versionsDir = Path.Combine(modelDir, "versions");
        Directory.CreateDirectory(versionsDir);
        var staging = Path.Combine(versionsDir, $".staging-{Guid.NewGuid():N}");
        try
        {
            AtomicDirectory.CopyTree(sourceDir, Path.Combine(staging, ModelFolder));
            using var _ = await LockAsync(name, cancellationToken);
            var number = AllVersions(name).Select(v => long.Parse(v.Version, CultureInfo.InvariantCulture)).DefaultIfEmpty(0).Max() + 1;
            var now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
            var record = new MlflowModelVersion(name, number.ToString(CultureInfo.InvariantCulture), now, now, "None", description ?? "",
                source, runId, MlflowModelVersionStatus.Ready, null, null, []);
            await WriteVersionAsync(Path.Combine(staging, VersionFile), record, cancellationToken);
            Directory.Move(staging, Path.Combine(versionsDir, record.Version));
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
        using var _ = await LockAsync(name, cancellationToken);
        var target = ReadVersion(name, version);
        var now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        if (StagesThatArchive.Contains(stage))
        {
            foreach (var other in AllVersions(name).Where(v => v.CurrentStage == stage && v.Version != version))
            {
                await WriteVersionAsync(VersionPath(name, other.Version), other with { CurrentStage = "Archived", LastUpdatedTimestamp = now }, cancellationToken);
            }
        }

        await WriteVersionAsync(VersionPath(name, version), target with { CurrentStage = stage, LastUpdatedTimestamp = now }, cancellationToken);
        await AtomicFile.WriteAllTextAsync(Path.Combine(ModelDir(name), "aliases", alias), version, cancellationToken);
        logger.LogInformation("Promoted {Model} version {Version}: alias {Alias}, stage {Stage}", name, version, alias, stage);
        return ToPort(ReadVersion(name, version), name);
    }

    public async Task<ModelVersion> SetAliasAsync(string name, string alias, string version, CancellationToken cancellationToken = default)
    {
        ValidateAlias(alias);
        using var _ = await LockAsync(name, cancellationToken);
        ReadVersion(name, version);
        await AtomicFile.WriteAllTextAsync(Path.Combine(ModelDir(name), "aliases", alias), version, cancellationToken);
        logger.LogInformation("Set alias {Alias} of {Model} to version {Version}", alias, name, version);
        return ToPort(ReadVersion(name, version), name);
    }

    public async Task SetVersionTagsAsync(string name, string version, IReadOnlyDictionary<string, string> tags,
        CancellationToken cancellationToken = default)
    {
        using var _ = await LockAsync(name, cancellationToken);
        var current = ReadVersion(name, version);
        var merged = (current.Tags ?? []).ToDictionary(t => t.Key, t => t.Value, StringComparer.Ordinal);
        foreach (var (key, value) in tags)
        {
            merged[key] = value;
        }

        await WriteVersionAsync(VersionPath(name, version), current with
        {
            Tags = merged.OrderBy(t => t.Key, StringComparer.Ordinal).Select(t => new MlflowTag(t.Key, t.Value)).ToList(),
            LastUpdatedTimestamp = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds(),
        }, cancellationToken);
    }

    public async Task<ModelVersion> UpdateDescriptionAsync(string name, string version, string description,
        CancellationToken cancellationToken = default)
    {
        using var _ = await LockAsync(name, cancellationToken);
        var current = ReadVersion(name, version);
        await WriteVersionAsync(VersionPath(name, version),
            current with { Description = description, LastUpdatedTimestamp = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() }, cancellationToken);
        return ToPort(ReadVersion(name, version), name);
    }

    public Task<ModelVersion?> ResolveAsync(string name, string alias = "production", string fallbackStage = "Production",
        CancellationToken cancellationToken = default)
    {
        ValidateName(name);
        ValidateAlias(alias);
        var aliasFile = Path.Combine(ModelDir(name), "aliases", alias);
        if (File.Exists(aliasFile) && File.Exists(VersionPath(name, File.ReadAllText(aliasFile).Trim())))
        {
            return Task.FromResult<ModelVersion?>(ToPort(ReadVersion(name, File.ReadAllText(aliasFile).Trim()), name));
        }

        var pick = AllVersions(name).Where(v => v.CurrentStage == fallbackStage)
            .MaxBy(v => long.Parse(v.Version, CultureInfo.InvariantCulture));
        return Task.FromResult(pick is null ? null : ToPort(pick, name));
    }

    public Task<IReadOnlyList<ModelVersion>> ListVersionsAsync(string name, CancellationToken cancellationToken = default) =>
        Task.FromResult<IReadOnlyList<ModelVersion>>(AllVersions(name)
            .OrderByDescending(v => long.Parse(v.Version, CultureInfo.InvariantCulture))
            .Select(v => ToPort(v, name))
            .ToList());

    public Task DownloadAsync(ModelVersion version, string destinationDirectory, CancellationToken cancellationToken = default)
    {
        var source = Path.Combine(ModelDir(version.Name), "versions", version.Version, ModelFolder);
        if (!Directory.Exists(source))
        {
            throw new DryWetException($"{version.Name} version {version.Version} has no model files in {Description}.");
        }

        return AtomicDirectory.WriteAsync(destinationDirectory, temp =>
        {
            AtomicDirectory.CopyTree(source, temp);
            return Task.CompletedTask;
        });
    }

    private string ModelDir(string name)
    {
        ValidateName(name);
        return Path.Combine(_root, name);
    }

    private Task<FileLock> LockAsync(string name, CancellationToken cancellationToken) =>
        FileLock.AcquireAsync(Path.Combine(ModelDir(name), ".lock"), cancellationToken: cancellationToken);

    private string VersionPath(string name, string version) => Path.Combine(ModelDir(name), "versions", version, VersionFile);

    private MlflowModelVersion ReadVersion(string name, string version)
    {
        if (!long.TryParse(version, NumberStyles.None, CultureInfo.InvariantCulture, out _) || !File.Exists(VersionPath(name, version)))
        {
            throw new DryWetException($"Model '{name}' has no version '{version}' in {Description}.");
        }

        return JsonSerializer.Deserialize<MlflowModelVersion>(File.ReadAllText(VersionPath(name, version)), MlflowJson.Options)!;
    }

    private IEnumerable<MlflowModelVersion> AllVersions(string name)
    {
        var versionsDir = Path.Combine(ModelDir(name), "versions");
        return Directory.Exists(versionsDir)
            ? Directory.EnumerateDirectories(versionsDir)
                .Select(Path.GetFileName)
                .Where(v => long.TryParse(v, NumberStyles.None, CultureInfo.InvariantCulture, out _) && File.Exists(VersionPath(name, v!)))
                .Select(v => ReadVersion(name, v!))
                .ToList()
            : [];
    }

    private ModelVersion ToPort(MlflowModelVersion record, string name)
    {
        var aliasDir = Path.Combine(ModelDir(name), "aliases");
        var aliases = Directory.Exists(aliasDir)
            ? Directory.EnumerateFiles(aliasDir).Where(f => !Path.GetFileName(f).StartsWith('.') && File.ReadAllText(f).Trim() == record.Version)
                .Select(f => Path.GetFileName(f)).Order(StringComparer.Ordinal).ToList()
            : [];
        return MlflowModelRegistry.ToPort(record with { Aliases = aliases });
    }

    private static Task WriteVersionAsync(string path, MlflowModelVersion record, CancellationToken cancellationToken) =>
        AtomicFile.WriteAllTextAsync(path, JsonSerializer.Serialize(record with { Aliases = null },
            new JsonSerializerOptions(MlflowJson.Options) { WriteIndented = true }), cancellationToken);

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

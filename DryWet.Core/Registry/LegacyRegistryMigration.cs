using System.Globalization;
using System.Text.Json;
using DryWet.Core.Tracking.Mlflow;
using Microsoft.Extensions.Logging;

namespace DryWet.Core.Registry;

/// <summary>
/// Moves a home's old embedded registry (<c>registry/&lt;name&gt;/versions/&lt;n&gt;/{version.json, model/}</c> and
/// <c>aliases/</c>, DryWet before MLflow's file-store layout) into <c>mlruns/models/</c> once, keeping every version
/// number, stage, alias, tag, description, source and package. Each model is converted in a staging folder and renamed
/// into place; the old folder is then renamed <c>registry.migrated-&lt;UTC time&gt;</c> (kept, not deleted). A model that
/// exists in both layouts is not merged: the migration stops with a message naming both folders.
/// </summary>
internal static class LegacyRegistryMigration
{
    public static async Task RunAsync(string legacyRoot, RegistryFileStore store, ILogger logger, CancellationToken cancellationToken)
    {
        if (!Directory.Exists(legacyRoot))
        {
            return; // another process finished it while we waited for the lock
        }

        var models = Directory.EnumerateDirectories(legacyRoot).Where(d => !Path.GetFileName(d).StartsWith('.')).ToList();
        if (models.FirstOrDefault(d => Directory.Exists(store.ModelDir(Path.GetFileName(d)))) is { } clash)
        {
            throw new DryWetException($"Registered model '{Path.GetFileName(clash)}' exists both in the old registry folder ({clash}) and in MLflow's layout ({store.ModelDir(Path.GetFileName(clash))}); DryWet will not merge them. Move one of the two folders away and start again.");
        }

        foreach (var modelDir in models)
        {
            await MigrateModelAsync(modelDir, store, cancellationToken);
        }

        var kept = $"{legacyRoot.TrimEnd(Path.DirectorySeparatorChar)}.migrated-{DateTime.UtcNow.ToString("yyyyMMddTHHmmssZ", CultureInfo.InvariantCulture)}";
        Directory.Move(legacyRoot, kept);
        logger.LogWarning("Migrated the embedded registry ({Count} model(s)) from {Old} to MLflow's file-store layout in {New}; the old folder is kept as {Kept}.",
            models.Count, legacyRoot, store.Root, kept);
    }

    private static async Task MigrateModelAsync(string legacyModelDir, RegistryFileStore store, CancellationToken cancellationToken)
    {
        var name = Path.GetFileName(legacyModelDir);
        var target = store.ModelDir(name);
        var staging = Path.Combine(store.Root, $".migrating-{name}-{Guid.NewGuid():N}");
        var stagingStore = new RegistryFileStore(Path.GetDirectoryName(staging)!);
        var stagingName = Path.GetFileName(staging);
        try
        {
            var versions = new List<MlflowModelVersion>();
            var versionsDir = Path.Combine(legacyModelDir, "versions");
            foreach (var versionDir in Directory.Exists(versionsDir) ? Directory.EnumerateDirectories(versionsDir) : [])
            {
                var json = Path.Combine(versionDir, "version.json");
                if (!long.TryParse(Path.GetFileName(versionDir), NumberStyles.None, CultureInfo.InvariantCulture, out _) || !File.Exists(json))
                {
                    continue; // an interrupted registration's staging folder
                }

                var record = JsonSerializer.Deserialize<MlflowModelVersion>(await File.ReadAllTextAsync(json, cancellationToken), MlflowJson.Options)
                    ?? throw new DryWetException($"{json} is empty; cannot migrate {name} version {Path.GetFileName(versionDir)}.");
                var newDir = stagingStore.VersionDir(stagingName, record.Version);
                Directory.CreateDirectory(newDir);
                Directory.Move(Path.Combine(versionDir, RegistryFileStore.ModelFolder), Path.Combine(newDir, RegistryFileStore.ModelFolder));
                await stagingStore.WriteVersionAsync(newDir, record with { Name = name }, cancellationToken, storageDir: store.VersionDir(name, record.Version));
                versions.Add(record);
            }

            var now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
            await stagingStore.TouchModelAsync(name, now, cancellationToken, versions.Select(v => v.CreationTimestamp ?? now).DefaultIfEmpty(now).Min(), stagingName);
            var aliases = Path.Combine(legacyModelDir, "aliases");
            foreach (var alias in Directory.Exists(aliases) ? Directory.EnumerateFiles(aliases).Where(f => !Path.GetFileName(f).StartsWith('.')) : [])
            {
                await stagingStore.WriteAliasAsync(stagingName, Path.GetFileName(alias), (await File.ReadAllTextAsync(alias, cancellationToken)).Trim(), cancellationToken);
            }

            Directory.Move(staging, target);
        }
        catch
        {
            if (Directory.Exists(staging))
            {
                // Put the packages back so the old registry is as it was, then let the caller report the error.
                foreach (var moved in Directory.EnumerateDirectories(staging, "version-*"))
                {
                    var back = Path.Combine(legacyModelDir, "versions", Path.GetFileName(moved)["version-".Length..], RegistryFileStore.ModelFolder);
                    if (Directory.Exists(Path.Combine(moved, RegistryFileStore.ModelFolder)) && !Directory.Exists(back))
                    {
                        Directory.Move(Path.Combine(moved, RegistryFileStore.ModelFolder), back);
                    }
                }

                Directory.Delete(staging, recursive: true);
            }

            throw;
        }
    }
}

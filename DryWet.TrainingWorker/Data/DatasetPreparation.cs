using DryWet.Core;
using DryWet.Core.Storage;

namespace DryWet.TrainingWorker.Data;

/// <summary>
/// Turns <c>train --data</c> (and <c>--dataset</c>) into a dataset snapshot laid out as class folders: the source is
/// listed and hashed into a manifest (stored next to the data in the object store), or, for a given version, the
/// stored manifest is fetched object by object and every byte checked. A local folder has no stored manifests: the
/// version it gives now must be the one asked for.
/// </summary>
public static class DatasetPreparation
{
    public static async Task<PreparedDataset> PrepareAsync(string data, string? version, IObjectStore? objects, string work,
        ZipLimits? limits, Action<string> report, CancellationToken cancellationToken)
    {
        var source = DatasetSource.Open(data, objects);
        var builder = new DatasetSnapshotBuilder(source);
        var scratch = Path.Combine(work, "fetch");
        var keep = Path.Combine(work, "objects");
        DatasetSnapshot snapshot;
        if (version is not null)
        {
            var stored = await source.LoadManifestAsync(version, cancellationToken);
            if (stored is not null)
            {
                report($"Dataset version {version}: {stored.Objects.Count} objects from the snapshot of {stored.CreatedAt:u}; fetching and checking each …");
                snapshot = await builder.FetchExactlyAsync(stored, scratch, keep, cancellationToken);
            }
            else if (source is LocalDatasetSource)
            {
                snapshot = await builder.BuildAsync(null, scratch, keep, cancellationToken);
                if (snapshot.Manifest.Version != version)
                {
                    throw new DryWetException($"Dataset version {version} cannot be reproduced from {source.Uri}: the folder now gives version {snapshot.Manifest.Version} (an object was added, removed or changed).");
                }
            }
            else
            {
                throw new DryWetException($"Dataset version {version} is not stored in {source.Uri} (no {DatasetManifest.Folder}/{version}.json there). Pass the --data prefix it was trained from (the run's dataset.source tag).");
            }
        }
        else
        {
            report($"Reading the dataset at {source.Uri} …");
            snapshot = await builder.BuildAsync(null, scratch, keep, cancellationToken);
        }

        foreach (var note in snapshot.Notes)
        {
            report(note);
        }

        var manifest = snapshot.Manifest;
        var saved = version is null && await source.SaveManifestAsync(manifest, cancellationToken);
        var materialized = DatasetMaterializer.Materialize(snapshot, Path.Combine(work, "data"), work, limits);
        int Count(string origin) => manifest.Objects.Count(o => o.Origin == origin);
        report($"Dataset version {manifest.Version}: {Count(DatasetOrigin.Archive)} archive(s), {Count(DatasetOrigin.Review)} reviewed image(s), {Count(DatasetOrigin.Folder)} other class-folder image(s)" +
               $"{(materialized.Duplicates > 0 ? $"; {materialized.Duplicates} duplicate image(s) counted once ({materialized.RelabelledByReview} relabelled by a class folder)" : "")}" +
               $"{(saved ? $"; manifest stored at {source.ManifestUri(manifest.Version)}" : "")}.");
        return new PreparedDataset(manifest, materialized, saved || version is not null && source is not LocalDatasetSource ? source.ManifestUri(manifest.Version) : null);
    }
}

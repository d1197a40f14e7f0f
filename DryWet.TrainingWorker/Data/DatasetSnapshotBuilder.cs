using System.Security.Cryptography;
using System.Text.Json;
using DryWet.Core;
using DryWet.Core.Feedback;

namespace DryWet.TrainingWorker.Data;

/// <summary>
/// Lists a data source, keeps what belongs to the dataset (<see cref="DatasetKeys"/>), hashes every object (streamed:
/// memory stays bounded whatever the size) and joins each reviewed image with its label entry
/// <c>.manifest/&lt;id&gt;.json</c> (the entry's current label, reviewer and prediction; extra fields are ignored). An
/// image whose entry points elsewhere (a correction moving it to another class) is a stale copy and left out. Hashes
/// and entries are remembered by key, size, time and ETag (<see cref="SourceObject"/>), so a watcher rebuilding the
/// snapshot downloads only what changed.
/// </summary>
public sealed class DatasetSnapshotBuilder(DatasetSource source, TimeProvider? time = null)
{
    private const int MaxLabelEntryBytes = 64 * 1024;
    private readonly TimeProvider _clock = time ?? TimeProvider.System;
    private Dictionary<SourceObject, string> _hashes = [];
    private Dictionary<SourceObject, LabelManifestEntry?> _entries = [];

    public DatasetSource Source => source;

    /// <summary>Builds the snapshot of <paramref name="listed"/> (the source's listing when null).</summary>
    /// <param name="scratch">Folder for downloads while hashing.</param>
    /// <param name="keepFolder">Keep every object's bytes there (training); null = hash and discard (the watcher).</param>
    public async Task<DatasetSnapshot> BuildAsync(IReadOnlyList<SourceObject>? listed, string scratch, string? keepFolder, CancellationToken cancellationToken)
    {
        listed ??= await source.ListAsync(cancellationToken);
        var entryObjects = listed.Where(o => DatasetKeys.Classify(o.Key) == DatasetKeyRole.LabelEntry)
            .ToDictionary(o => Path.GetFileNameWithoutExtension(o.Key), StringComparer.Ordinal);
        var hashes = new Dictionary<SourceObject, string>();
        var entries = new Dictionary<SourceObject, LabelManifestEntry?>();
        var objects = new List<SnapshotObject>();
        var localFiles = new Dictionary<string, string>(StringComparer.Ordinal);
        var notes = new List<string>();
        foreach (var item in listed)
        {
            var role = DatasetKeys.Classify(item.Key);
            if (role is not (DatasetKeyRole.Archive or DatasetKeyRole.ClassImage))
            {
                continue;
            }

            SnapshotObject snapshotObject;
            if (role == DatasetKeyRole.Archive)
            {
                snapshotObject = new SnapshotObject(item.Key, item.Size, "", null, DatasetOrigin.Archive);
            }
            else
            {
                var entry = entryObjects.TryGetValue(DatasetKeys.ReviewId(item.Key), out var entryObject)
                    ? await EntryAsync(entryObject, entries, notes, cancellationToken)
                    : null;
                if (entry is not null && !PointsAt(entry, item.Key))
                {
                    notes.Add($"{item.Key} left out: its label entry now says {entry.ImageKey} (label '{entry.Label}')");
                    continue;
                }

                var label = entry is not null && DatasetKeys.IsClassName(entry.Label) ? entry.Label : item.Key[..item.Key.IndexOf('/')];
                snapshotObject = new SnapshotObject(item.Key, item.Size, "", label, entry is null ? DatasetOrigin.Folder : DatasetOrigin.Review,
                    entry?.Reviewer, entry?.Id, entry?.PredictionKey, entry?.ReviewedAt);
            }

            var keep = keepFolder is null ? null : Path.Combine(keepFolder, $"{objects.Count:D6}{Path.GetExtension(item.Key).ToLowerInvariant()}");
            var (sha, size) = keep is null && _hashes.TryGetValue(item, out var known) ? (known, item.Size) : await HashAsync(item, scratch, keep, cancellationToken);
            hashes[item] = sha;
            objects.Add(snapshotObject with { Sha256 = sha, Size = size });
            if (keep is not null)
            {
                localFiles[item.Key] = keep;
            }
        }

        // Only what the latest listing holds is remembered: the caches never outgrow the data.
        _hashes = hashes;
        _entries = entries;
        if (objects.Count == 0)
        {
            throw new DryWetException($"{source.Uri} holds no dataset: expected zips at its root (e.g. dry-wet-data.zip) and/or class folders of images (dry/, wet/); eval/ and dot-folders are not training data.");
        }

        return new DatasetSnapshot(DatasetManifest.Create(source.Uri, objects, _clock.GetUtcNow()), localFiles, notes);
    }

    /// <summary>Fetches every object of a stored manifest and checks it is byte for byte what the snapshot recorded.</summary>
    public async Task<DatasetSnapshot> FetchExactlyAsync(DatasetManifest manifest, string scratch, string keepFolder, CancellationToken cancellationToken)
    {
        var localFiles = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (o, index) in manifest.Objects.Select((o, i) => (o, i)))
        {
            var keep = Path.Combine(keepFolder, $"{index:D6}{Path.GetExtension(o.Key).ToLowerInvariant()}");
            (string Sha256, long Size) now;
            try
            {
                now = await HashAsync(new SourceObject(o.Key, o.Size, DateTimeOffset.MinValue), scratch, keep, cancellationToken);
            }
            catch (Exception ex) when (ex is Core.Storage.ObjectNotFoundException or FileNotFoundException or DirectoryNotFoundException)
            {
                throw Changed(manifest, $"object '{o.Key}' was deleted");
            }

            if (now.Sha256 != o.Sha256 || now.Size != o.Size)
            {
                throw Changed(manifest, $"object '{o.Key}' changed (SHA-256 {o.Sha256[..12]}…, {o.Size:N0} bytes in the snapshot; now {now.Sha256[..12]}…, {now.Size:N0} bytes)");
            }

            localFiles[o.Key] = keep;
        }

        return new DatasetSnapshot(manifest, localFiles, []);
    }

    private static DryWetException Changed(DatasetManifest manifest, string what) =>
        new($"Dataset version {manifest.Version} cannot be reproduced: {what} since the snapshot of {manifest.CreatedAt:u} ({manifest.Source}). Train on the data as it is now (without --dataset), or restore the object.");

    private static bool PointsAt(LabelManifestEntry entry, string key) =>
        string.IsNullOrEmpty(entry.ImageKey) || entry.ImageKey == key || entry.ImageKey.EndsWith("/" + key, StringComparison.Ordinal);

    private async Task<LabelManifestEntry?> EntryAsync(SourceObject entryObject, Dictionary<SourceObject, LabelManifestEntry?> entries,
        List<string> notes, CancellationToken cancellationToken)
    {
        if (entries.TryGetValue(entryObject, out var seen))
        {
            return seen;
        }

        if (!_entries.TryGetValue(entryObject, out var entry))
        {
            var json = await source.ReadSmallAsync(entryObject.Key, entryObject.Size, MaxLabelEntryBytes, cancellationToken);
            try
            {
                entry = json is null ? null : JsonSerializer.Deserialize<LabelManifestEntry>(json, PredictionLogRecord.Json);
            }
            catch (JsonException ex)
            {
                notes.Add($"{entryObject.Key} is not a readable label entry ({ex.Message}); its image counts by its folder");
                entry = null;
            }

            entry = entry is { Label: not null } ? entry : null;
        }

        entries[entryObject] = entry;
        return entry;
    }

    /// <summary>SHA-256 and size of the object's bytes as fetched (streamed).</summary>
    private async Task<(string Sha256, long Size)> HashAsync(SourceObject item, string scratch, string? keep, CancellationToken cancellationToken)
    {
        Directory.CreateDirectory(scratch);
        var local = Path.Combine(scratch, $"object-{Guid.NewGuid():N}");
        try
        {
            await source.FetchAsync(item.Key, local, cancellationToken);
            (string, long) hashed;
            await using (var stream = File.OpenRead(local))
            {
                hashed = (Convert.ToHexStringLower(await SHA256.HashDataAsync(stream, cancellationToken)), stream.Length);
            }

            if (keep is not null)
            {
                Directory.CreateDirectory(Path.GetDirectoryName(keep)!);
                File.Move(local, keep);
            }

            return hashed;
        }
        finally
        {
            File.Delete(local);
        }
    }
}

using System.Text.Json;
using DryWet.Core;
using DryWet.Core.Feedback;
using DryWet.Core.Storage;

namespace DryWet.TrainingWorker.Data;

/// <summary>
/// Writes a fetched snapshot as a folder laid out like the data prefix — archives at the root, reviewed images in their
/// class folders, one label entry per reviewed image in <c>.manifest/</c> — so <c>train --data &lt;folder&gt;</c> reads
/// the same objects and gets the same dataset version (a pipeline's download step hands the train step this folder).
/// The folder appears whole or not at all, marked as a download's (<see cref="DatasetDownloader.MarkFile"/>).
/// </summary>
public static class DatasetLayout
{
    public static Task WriteAsync(DatasetSnapshot snapshot, string output) =>
        AtomicDirectory.WriteAsync(Path.GetFullPath(output), async temp =>
        {
            foreach (var o in snapshot.Manifest.Objects)
            {
                ObjectKeys.ValidateKey(o.Key);
                var target = Path.Combine(temp, o.Key.Replace('/', Path.DirectorySeparatorChar));
                Directory.CreateDirectory(Path.GetDirectoryName(target)!);
                File.Move(snapshot.LocalFiles[o.Key], target);
                if (o.Origin == DatasetOrigin.Review)
                {
                    var entry = new LabelManifestEntry(o.PredictionId ?? DatasetKeys.ReviewId(o.Key), o.Class ?? "", "", false, o.Reviewer ?? "",
                        o.ReviewedAt ?? default, o.Key, o.PredictionKey ?? "", "", "", 0, null);
                    var entryPath = Path.Combine(temp, DatasetKeys.LabelEntryFolder, DatasetKeys.ReviewId(o.Key) + ".json");
                    Directory.CreateDirectory(Path.GetDirectoryName(entryPath)!);
                    await File.WriteAllTextAsync(entryPath, JsonSerializer.Serialize(entry, PredictionLogRecord.Json));
                }
            }

            DatasetDownloader.Mark(temp, $"dataset version {snapshot.Manifest.Version} of {snapshot.Manifest.Source}");
        });

    /// <summary>The prefix and version of a manifest key (<c>[prefix/].datasets/&lt;version&gt;.json</c>), or null for any other key.</summary>
    public static (string Prefix, string Version)? ParseManifestKey(string key)
    {
        var marker = DatasetManifest.Folder + "/";
        var at = key.StartsWith(marker, StringComparison.Ordinal) ? 0 : key.IndexOf("/" + marker, StringComparison.Ordinal) + 1;
        if (at < 0 || (at == 0 && !key.StartsWith(marker, StringComparison.Ordinal)) || !key.EndsWith(".json", StringComparison.Ordinal))
        {
            return null;
        }

        var name = key[(at + marker.Length)..^".json".Length];
        try
        {
            return (key[..at], DatasetManifest.ValidateVersion(name));
        }
        catch (DryWetException)
        {
            return null;
        }
    }
}

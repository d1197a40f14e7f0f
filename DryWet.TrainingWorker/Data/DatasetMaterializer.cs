using System.Security.Cryptography;
using DryWet.Core;

namespace DryWet.TrainingWorker.Data;

/// <summary>
/// Lays a fetched snapshot out as one folder per class: every archive is extracted (through
/// <see cref="SafeZipExtractor"/>: no zip-slip, no bombs) and its class folders read; reviewed images are filed under
/// their label. The same image (same SHA-256) counts once: a reviewed label beats a hand-filed one, which beats an archive's (a correction wins),
/// the latest review beats an earlier one, and between archives the first by key wins. Files are moved, not copied,
/// and hashed as streams.
/// </summary>
public static class DatasetMaterializer
{
    private sealed record Candidate(string Path, string Class, string Origin, DateTimeOffset? ReviewedAt, string Order);

    public static MaterializedDataset Materialize(DatasetSnapshot snapshot, string output, string scratch, ZipLimits? limits = null)
    {
        var selection = new Selection();
        var extractions = new List<string>();
        try
        {
            foreach (var o in snapshot.Manifest.Objects)
            {
                var local = snapshot.LocalFiles[o.Key];
                if (o.Origin == DatasetOrigin.Archive)
                {
                    var folder = Path.Combine(scratch, $"archive-{extractions.Count}");
                    extractions.Add(folder);
                    ExtractArchive(o.Key, local, folder, limits, selection);
                }
                else
                {
                    selection.Offer(new Candidate(local, o.Class!, o.Origin, o.ReviewedAt, o.Key), Sha(local));
                }
            }

            var origins = new Dictionary<string, string>(StringComparer.Ordinal);
            Directory.CreateDirectory(output);
            foreach (var (sha, c) in selection.Chosen.OrderBy(c => c.Key, StringComparer.Ordinal))
            {
                var target = Path.Combine(output, c.Class, sha[..20] + Path.GetExtension(c.Path).ToLowerInvariant());
                Directory.CreateDirectory(Path.GetDirectoryName(target)!);
                File.Move(c.Path, target);
                origins[target] = c.Origin;
            }

            return new MaterializedDataset(output, origins, selection.Duplicates, selection.Relabelled);
        }
        finally
        {
            foreach (var folder in extractions.Where(Directory.Exists))
            {
                Directory.Delete(folder, recursive: true);
            }
        }
    }

    private static void ExtractArchive(string key, string zip, string folder, ZipLimits? limits, Selection selection)
    {
        try
        {
            SafeZipExtractor.Extract(zip, folder, limits);
        }
        catch (DryWetException ex)
        {
            throw new DryWetException($"Archive '{key}': {ex.Message}", ex);
        }

        var root = LocalDatasetSource.SkipWrapperFolder(folder);
        foreach (var classFolder in Directory.GetDirectories(root).Order(StringComparer.Ordinal))
        {
            var name = Path.GetFileName(classFolder);
            if (name.StartsWith('.') || name is "__MACOSX" or DatasetKeys.EvaluationFolder)
            {
                continue;
            }

            if (!DatasetKeys.IsClassName(name))
            {
                throw new DryWetException($"Archive '{key}' has a class folder '{name}': class names are letters, digits, '-', '_' or '.' (at most 100).");
            }

            foreach (var file in Directory.EnumerateFiles(classFolder, "*", SearchOption.AllDirectories).Order(StringComparer.Ordinal))
            {
                if (!Path.GetFileName(file).StartsWith('.'))
                {
                    var relative = Path.GetRelativePath(root, file).Replace(Path.DirectorySeparatorChar, '/');
                    selection.Offer(new Candidate(file, name, DatasetOrigin.Archive, null, $"{key}!{relative}"), Sha(file));
                }
            }
        }
    }

    /// <summary>The image kept for each SHA-256, and what was dropped.</summary>
    private sealed class Selection
    {
        public Dictionary<string, Candidate> Chosen { get; } = new(StringComparer.Ordinal);
        public int Duplicates { get; private set; }
        public int Relabelled { get; private set; }

        public void Offer(Candidate candidate, string sha)
        {
            if (!Chosen.TryGetValue(sha, out var current))
            {
                Chosen[sha] = candidate;
                return;
            }

            Duplicates++;
            if (Beats(candidate, current))
            {
                if (current.Origin == DatasetOrigin.Archive && candidate.Class != current.Class)
                {
                    Relabelled++;
                }

                Chosen[sha] = candidate;
            }
        }
    }

    /// <summary>Review over archive; the later review; else the first by key (a deterministic order, whatever the listing order).</summary>
    private static bool Beats(Candidate challenger, Candidate current)
    {
        if (challenger.Origin != current.Origin)
        {
            return DatasetOrigin.Rank(challenger.Origin) > DatasetOrigin.Rank(current.Origin);
        }

        var byTime = Nullable.Compare(challenger.ReviewedAt, current.ReviewedAt);
        return byTime != 0 ? byTime > 0 : string.CompareOrdinal(challenger.Order, current.Order) < 0;
    }

    private static string Sha(string path)
    {
        using var stream = File.OpenRead(path);
        return Convert.ToHexStringLower(SHA256.HashData(stream));
    }
}

using DryWet.TrainingWorker.Data;

namespace DryWet.TrainingWorker.Watching;

/// <summary>What changed between the dataset a run last trained on and the one found now.</summary>
/// <param name="ArchivesChanged">An archive was added, removed or replaced.</param>
/// <param name="Labels">Reviewed images (by id) added, removed, moved to another class or replaced.</param>
public sealed record DatasetChange(bool ArchivesChanged, int Labels)
{
    public static DatasetChange Between(DatasetManifest before, DatasetManifest now)
    {
        static HashSet<(string, string)> Archives(DatasetManifest m) =>
            m.Objects.Where(o => o.Origin == DatasetOrigin.Archive).Select(o => (o.Key, o.Sha256)).ToHashSet();
        static Dictionary<string, (string?, string)> Labelled(DatasetManifest m) => m.Objects
            .Where(o => o.Origin != DatasetOrigin.Archive)
            .GroupBy(o => DatasetKeys.ReviewId(o.Key), StringComparer.Ordinal)
            .ToDictionary(g => g.Key, g => (g.First().Class, g.First().Sha256), StringComparer.Ordinal);

        var labelsBefore = Labelled(before);
        var labelsNow = Labelled(now);
        var changed = labelsBefore.Keys.Union(labelsNow.Keys)
            .Count(id => !labelsBefore.TryGetValue(id, out var b) || !labelsNow.TryGetValue(id, out var n) || b != n);
        return new DatasetChange(!Archives(before).SetEquals(Archives(now)), changed);
    }
}

namespace DryWet.TrainingWorker.Data;

/// <summary>
/// A snapshot laid out as class folders for <see cref="ImageFolderDataset"/>: the folder, each file's origin (to count
/// reviewed images among those the dataset actually reads) and how many duplicates were dropped.
/// </summary>
public sealed record MaterializedDataset(string Directory, IReadOnlyDictionary<string, string> OriginOf, int Duplicates, int RelabelledByReview)
{
    /// <summary>Counts per origin (archive, review, folder) of the images the dataset reads.</summary>
    public IReadOnlyDictionary<string, int> CountByOrigin(ImageFolderDataset dataset) =>
        DatasetOrigin.All.ToDictionary(o => o,
            o => dataset.Images.Count(i => OriginOf.GetValueOrDefault(i.Path) == o), StringComparer.Ordinal);
}

using DryWet.Core.Storage;
using DryWet.TrainingWorker.Data;
using DryWet.TrainingWorker.Training;
using DryWet.Core.Platform;

namespace DryWet.TrainingWorker.Promotion;

/// <summary>
/// The held-out images champion and challenger are both judged on: the new run's validation split, plus the fixed
/// evaluation set in the object store (<c>ml-data/eval/&lt;class&gt;/…</c>) when there is one. A fixed set makes
/// decisions comparable across datasets; the validation split alone moves with every new zip.
/// </summary>
public sealed class EvaluationSet
{
    public const string Bucket = PlatformNames.DataBucket;
    public const string Prefix = PlatformNames.EvaluationPrefix;

    private EvaluationSet(IReadOnlyList<EvaluatedImage> images, string description)
    {
        Images = images;
        Description = description;
    }

    public IReadOnlyList<EvaluatedImage> Images { get; }

    /// <summary>Where the images came from, e.g. "40 validation + 20 from s3://ml-data/eval/".</summary>
    public string Description { get; }

    /// <summary>The most common true class and its share: a model must beat always answering it.</summary>
    public (string Class, double Share) Majority
    {
        get
        {
            var top = Images.GroupBy(i => i.Class).OrderByDescending(g => g.Count()).ThenBy(g => g.Key, StringComparer.Ordinal).First();
            return (top.Key, (double)top.Count() / Images.Count);
        }
    }

    public static EvaluationSet Of(IReadOnlyList<EvaluatedImage> images, string description) =>
        images.Count > 0 ? new EvaluationSet(images, description)
            : throw new ArgumentException("An evaluation set needs at least one image.", nameof(images));

    /// <summary>The validation split plus <c>ml-data/eval/</c> (downloaded into <paramref name="workDirectory"/>) when the store has it.</summary>
    public static async Task<EvaluationSet> BuildAsync(IObjectStore? objects, IReadOnlyList<LabeledImage> validation, IReadOnlyList<string> classes,
        string workDirectory, ITrainingProgress progress, CancellationToken cancellationToken)
    {
        var images = validation.Select(v => new EvaluatedImage(v.Path, classes[v.Label])).ToList();
        var description = $"{images.Count} validation images";
        if (objects is not null && await objects.BucketExistsAsync(Bucket, cancellationToken))
        {
            var fixedSet = await DownloadFixedSetAsync(objects, classes, Path.Combine(workDirectory, "eval"), progress, cancellationToken);
            if (fixedSet.Count > 0)
            {
                images.AddRange(fixedSet);
                description += $" + {fixedSet.Count} from s3://{Bucket}/{Prefix}";
            }
        }

        return Of(images, description);
    }

    private static async Task<List<EvaluatedImage>> DownloadFixedSetAsync(IObjectStore objects, IReadOnlyList<string> classes, string folder,
        ITrainingProgress progress, CancellationToken cancellationToken)
    {
        var found = new List<EvaluatedImage>();
        var ignored = new SortedSet<string>(StringComparer.Ordinal);
        foreach (var o in await objects.ListAsync(Bucket, Prefix, cancellationToken))
        {
            var parts = o.Key[Prefix.Length..].Split('/');
            if (parts.Length != 2 || !ImageFolderDataset.IsImageFile(parts[1]))
            {
                continue;
            }

            if (!classes.Contains(parts[0]))
            {
                ignored.Add(parts[0]);
                continue;
            }

            var local = Path.Combine(folder, parts[0], parts[1]);
            await objects.DownloadFileAsync(Bucket, o.Key, local, cancellationToken);
            found.Add(new EvaluatedImage(local, parts[0]));
        }

        if (ignored.Count > 0)
        {
            progress.Message($"Evaluation set: ignored s3://{Bucket}/{Prefix} folders that are not classes of this model ({string.Join(", ", ignored)}; classes: {string.Join(", ", classes)}).");
        }

        return found;
    }
}

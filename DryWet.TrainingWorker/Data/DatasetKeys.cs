namespace DryWet.TrainingWorker.Data;

/// <summary>What a key under the data prefix is to a dataset.</summary>
public enum DatasetKeyRole
{
    /// <summary>Not part of the dataset: <c>eval/</c>, dot-folders and hidden files, non-zip files at the root, non-images in class folders.</summary>
    Ignored,

    /// <summary>A zip at the root.</summary>
    Archive,

    /// <summary>An image in a class folder <c>&lt;class&gt;/…</c>.</summary>
    ClassImage,

    /// <summary>A label manifest entry <c>.manifest/&lt;id&gt;.json</c> (who reviewed which image).</summary>
    LabelEntry,
}

/// <summary>The layout of a data prefix: archives at the root, class folders, <c>eval/</c> and dot-folders left out.</summary>
public static class DatasetKeys
{
    public const string EvaluationFolder = "eval";
    public const string LabelEntryFolder = ".manifest";

    public static DatasetKeyRole Classify(string key)
    {
        var segments = key.Split('/');
        if (segments[0] == LabelEntryFolder)
        {
            return segments.Length == 2 && key.EndsWith(".json", StringComparison.Ordinal) ? DatasetKeyRole.LabelEntry : DatasetKeyRole.Ignored;
        }

        if (segments.Any(s => s.Length == 0 || s.StartsWith('.')) || segments[0] is EvaluationFolder or "__MACOSX")
        {
            return DatasetKeyRole.Ignored;
        }

        if (segments.Length == 1)
        {
            return key.EndsWith(".zip", StringComparison.OrdinalIgnoreCase) ? DatasetKeyRole.Archive : DatasetKeyRole.Ignored;
        }

        return ImageFolderDataset.IsImageFile(key) && IsClassName(segments[0]) ? DatasetKeyRole.ClassImage : DatasetKeyRole.Ignored;
    }

    /// <summary>A class name is one folder name: no separators, not hidden, at most 100 characters of letters, digits, '-', '_' or '.'.</summary>
    public static bool IsClassName(string name) =>
        name.Length is > 0 and <= 100 && !name.StartsWith('.') && name.All(c => char.IsLetterOrDigit(c) || c is '-' or '_' or '.');

    /// <summary>The id of a reviewed image: its file name without extension (<c>dry/&lt;id&gt;.jpg</c>).</summary>
    public static string ReviewId(string key) => Path.GetFileNameWithoutExtension(key);
}

namespace DryWet.TrainingWorker.Data;

/// <summary>Where an object of a dataset snapshot came from (the manifest's <c>origin</c>).</summary>
public static class DatasetOrigin
{
    /// <summary>A zip at the root of the data prefix (e.g. <c>dry-wet-data.zip</c>), its images labelled by its class folders.</summary>
    public const string Archive = "archive";

    /// <summary>An image in a class folder <c>&lt;class&gt;/…</c> with its label entry <c>.manifest/&lt;id&gt;.json</c>: a label given on the Review page.</summary>
    public const string Review = "review";

    /// <summary>An image in a class folder without a label entry: put there by hand (or a local folder of class folders).</summary>
    public const string Folder = "folder";

    public static IReadOnlyList<string> All { get; } = [Archive, Review, Folder];

    /// <summary>Which label wins for the same image: a review over a hand-filed image over an archive's.</summary>
    public static int Rank(string origin) => origin switch { Review => 2, Folder => 1, _ => 0 };
}

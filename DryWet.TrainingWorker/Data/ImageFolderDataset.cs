using DryWet.Core;
using SkiaSharp;

namespace DryWet.TrainingWorker.Data;

/// <summary>One labelled image file.</summary>
public sealed record LabeledImage(string Path, int Label);

/// <summary>A file that was left out, and why.</summary>
public sealed record SkippedFile(string Path, string Reason);

/// <summary>
/// A dataset as the original reads it: a folder (or a zip of one) with one subfolder per class; the classes are the
/// sorted folder names (dry = 0, wet = 1). Undecodable files are skipped and reported, never fatal; an empty class,
/// a single class or no images at all are errors that say what was found where.
/// </summary>
public sealed class ImageFolderDataset
{
    private static readonly HashSet<string> ImageExtensions = new(StringComparer.OrdinalIgnoreCase)
    {
        ".jpg", ".jpeg", ".png", ".bmp", ".webp", ".gif",
    };

    /// <summary>True for the file extensions the dataset reads as images.</summary>
    public static bool IsImageFile(string fileName) => ImageExtensions.Contains(Path.GetExtension(fileName));

    private ImageFolderDataset(string root, IReadOnlyList<string> classes, IReadOnlyList<LabeledImage> images, IReadOnlyList<SkippedFile> skipped)
    {
        Root = root;
        Classes = classes;
        Images = images;
        Skipped = skipped;
    }

    /// <summary>The folder whose subfolders are the classes.</summary>
    public string Root { get; }
    public IReadOnlyList<string> Classes { get; }
    public IReadOnlyList<LabeledImage> Images { get; }
    public IReadOnlyList<SkippedFile> Skipped { get; }

    public int CountOf(int label) => Images.Count(i => i.Label == label);

    /// <summary>
    /// Opens <paramref name="input"/> (a zip or a folder). A zip is extracted under <paramref name="workFolder"/> with the
    /// zip-slip and zip-bomb checks of <see cref="SafeZipExtractor"/>; a folder is read in place and never written to.
    /// </summary>
    /// <param name="describedAs">How errors name the data (the dataset's URI when <paramref name="input"/> is its laid-out copy).</param>
    public static ImageFolderDataset Open(string input, string workFolder, ZipLimits? limits = null, string? describedAs = null)
    {
        var path = Path.GetFullPath(input);
        string root;
        if (File.Exists(path))
        {
            root = Path.Combine(Path.GetFullPath(workFolder), "data-" + Guid.NewGuid().ToString("N")[..8]);
            SafeZipExtractor.Extract(path, root, limits);
        }
        else if (Directory.Exists(path))
        {
            root = path;
        }
        else
        {
            throw new DryWetException($"Data '{input}' does not exist. Pass a zip or a folder with one subfolder per class (dry/, wet/); `sample-data --output data.zip` writes an example.");
        }

        return FromFolder(SkipWrapperFolder(root), describedAs ?? input);
    }

    /// <summary>Zips are often made of the folder itself ("dataset/dry/…"): step into a lone wrapper folder.</summary>
    private static string SkipWrapperFolder(string root)
    {
        var folders = ClassFolders(root);
        var hasFiles = Directory.EnumerateFiles(root).Any(f => !IsHidden(f));
        if (folders.Length == 1 && !hasFiles && ClassFolders(folders[0]).Length >= 1
            && !Directory.EnumerateFiles(folders[0]).Any(f => ImageExtensions.Contains(Path.GetExtension(f))))
        {
            return folders[0];
        }

        return root;
    }

    private static string[] ClassFolders(string root) => Directory.GetDirectories(root)
        .Where(d => !IsHidden(d) && Path.GetFileName(d) != "__MACOSX")
        .Order(StringComparer.Ordinal)
        .ToArray();

    private static bool IsHidden(string path) => Path.GetFileName(path).StartsWith('.');

    private static ImageFolderDataset FromFolder(string root, string input)
    {
        var folders = ClassFolders(root);
        if (folders.Length == 0)
        {
            throw new DryWetException($"Data '{input}' has no class folders. Expected one subfolder per class, e.g. dry/ and wet/, each holding images.");
        }

        var classes = folders.Select(Path.GetFileName).Select(n => n!).ToArray();
        var images = new List<LabeledImage>();
        var skipped = new List<SkippedFile>();
        var empty = new List<string>();
        for (var label = 0; label < folders.Length; label++)
        {
            var before = images.Count;
            foreach (var file in Directory.EnumerateFiles(folders[label], "*", SearchOption.AllDirectories).Order(StringComparer.Ordinal))
            {
                if (IsHidden(file))
                {
                    continue;
                }

                var reason = ImageExtensions.Contains(Path.GetExtension(file)) ? CheckDecodable(file) : "not an image file (extension)";
                if (reason is null)
                {
                    images.Add(new LabeledImage(file, label));
                }
                else
                {
                    skipped.Add(new SkippedFile(file, reason));
                }
            }

            if (images.Count == before)
            {
                empty.Add(classes[label]);
            }
        }

        if (images.Count == 0)
        {
            throw new DryWetException($"Data '{input}' contains no readable images (class folders: {string.Join(", ", classes)}; {skipped.Count} files skipped). Supported: JPEG, PNG, BMP, WebP, GIF.");
        }

        if (empty.Count > 0)
        {
            throw new DryWetException($"Data '{input}': class folder(s) {string.Join(", ", empty.Select(e => $"'{e}/'"))} contain no readable images. Every class needs images (found classes: {string.Join(", ", classes)}).");
        }

        if (classes.Length < 2)
        {
            throw new DryWetException($"Data '{input}' has a single class ('{classes[0]}/'); a classifier needs at least two class folders, e.g. dry/ and wet/.");
        }

        return new ImageFolderDataset(root, classes, images, skipped);
    }

    /// <summary>Null when the header decodes (as PIL's verify does); otherwise why not.</summary>
    private static string? CheckDecodable(string file)
    {
        try
        {
            using var codec = SKCodec.Create(file, out var result);
            if (codec is null)
            {
                return $"not decodable ({result})";
            }

            return codec.Info.Width < 1 || codec.Info.Height < 1 ? "image has no pixels" : null;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return $"unreadable ({ex.Message})";
        }
    }
}

using DryWet.Core;

namespace DryWet.Web;

/// <summary>The web app's disk cache: thumbnails and downloaded model packages, each written once, atomically.</summary>
public sealed class WebCache(string root)
{
    public static WebCache From(WebOptions options, IConfiguration configuration) =>
        new(string.IsNullOrWhiteSpace(options.CacheDirectory)
            ? Path.Combine(DryWetHome.Cache(DryWetHome.Resolve(configuration)), "web")
            : Path.GetFullPath(options.CacheDirectory));

    public string Root { get; } = root;

    public string Thumbnail(string date, string id) => Path.Combine(Root, "thumbnails", date, id + ".jpg");

    public string PackageDirectory(string model, string version) => Path.Combine(Root, "models", model, version);

    /// <summary>A fresh temp file path under the cache (same file system as the targets, so renames are atomic).</summary>
    public string TempFile(string extension = ".tmp")
    {
        var folder = Path.Combine(Root, "tmp");
        Directory.CreateDirectory(folder);
        return Path.Combine(folder, Guid.NewGuid().ToString("N") + extension);
    }
}

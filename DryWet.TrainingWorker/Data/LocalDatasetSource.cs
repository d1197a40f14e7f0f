namespace DryWet.TrainingWorker.Data;

/// <summary>
/// A dataset on disk: a folder laid out like the data prefix (zips at its root, class folders), or one zip. The folder
/// is only read; a lone wrapper folder ("dataset/dry/…") is stepped into, as before.
/// </summary>
public sealed class LocalDatasetSource : DatasetSource
{
    private readonly string _root;
    private readonly string? _onlyFile;

    public LocalDatasetSource(string root, string? onlyFile)
    {
        _onlyFile = onlyFile;
        _root = onlyFile is null ? SkipWrapperFolder(Path.GetFullPath(root)) : Path.GetFullPath(root);
    }

    public override string Uri => new Uri(_onlyFile is null ? _root + Path.DirectorySeparatorChar : Path.Combine(_root, _onlyFile)).AbsoluteUri;

    public override Task<IReadOnlyList<SourceObject>> ListAsync(CancellationToken cancellationToken)
    {
        IEnumerable<string> files = _onlyFile is null
            ? Directory.EnumerateFiles(_root, "*", SearchOption.AllDirectories)
            : [Path.Combine(_root, _onlyFile)];
        IReadOnlyList<SourceObject> listed = files
            .Select(f => new FileInfo(f))
            .Where(f => (f.Attributes & FileAttributes.ReparsePoint) == 0)
            .Select(f => new SourceObject(Path.GetRelativePath(_root, f.FullName).Replace(Path.DirectorySeparatorChar, '/'), f.Length, f.LastWriteTimeUtc))
            .OrderBy(o => o.Key, StringComparer.Ordinal)
            .ToList();
        return Task.FromResult(listed);
    }

    public override Task FetchAsync(string key, string localPath, CancellationToken cancellationToken)
    {
        var source = Path.GetFullPath(Path.Combine(_root, key));
        if (!source.StartsWith(_root + Path.DirectorySeparatorChar, StringComparison.Ordinal))
        {
            throw new DryWet.Core.DryWetException($"Dataset key '{key}' is outside the data folder {_root}.");
        }

        var temp = localPath + ".part-" + Guid.NewGuid().ToString("N")[..8];
        try
        {
            File.Copy(source, temp);
            File.Move(temp, localPath);
        }
        finally
        {
            File.Delete(temp);
        }

        return Task.CompletedTask;
    }

    /// <summary>A local folder is read, never written: the manifest goes to the run's artifacts only.</summary>
    public override Task<bool> SaveManifestAsync(DatasetManifest manifest, CancellationToken cancellationToken) => Task.FromResult(false);

    public override Task<DatasetManifest?> LoadManifestAsync(string version, CancellationToken cancellationToken) => Task.FromResult<DatasetManifest?>(null);

    /// <summary>A folder holding only one folder that itself holds only folders ("dataset/dry/…") is that inner folder.</summary>
    public static string SkipWrapperFolder(string root)
    {
        var folders = Directory.GetDirectories(root).Where(d => !Path.GetFileName(d).StartsWith('.') && Path.GetFileName(d) != "__MACOSX").ToArray();
        var hasFiles = Directory.EnumerateFiles(root).Any(f => !Path.GetFileName(f).StartsWith('.'));
        if (folders.Length == 1 && !hasFiles
            && Directory.GetDirectories(folders[0]).Any(d => !Path.GetFileName(d).StartsWith('.'))
            && !Directory.EnumerateFiles(folders[0]).Any(ImageFolderDataset.IsImageFile)
            && !Directory.EnumerateFiles(folders[0]).Any(f => f.EndsWith(".zip", StringComparison.OrdinalIgnoreCase)))
        {
            return folders[0];
        }

        return root;
    }
}

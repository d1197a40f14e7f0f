namespace DryWet.Core.Storage;

/// <summary>
/// A cross-process lock on a file (exclusive open). Embedded adapters take it around read-modify-write steps such as
/// allocating the next version number, so two trainers on one machine never get the same number.
/// </summary>
public sealed class FileLock : IDisposable
{
    private readonly FileStream _stream;

    private FileLock(FileStream stream) => _stream = stream;

    public static async Task<FileLock> AcquireAsync(string path, TimeSpan? timeout = null, CancellationToken cancellationToken = default)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        var deadline = DateTimeOffset.UtcNow + (timeout ?? TimeSpan.FromSeconds(30));
        while (true)
        {
            try
            {
                return new FileLock(new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None));
            }
            catch (IOException) when (DateTimeOffset.UtcNow < deadline)
            {
                await Task.Delay(Random.Shared.Next(5, 25), cancellationToken);
            }
            catch (IOException ex)
            {
                throw new DryWetException($"Could not lock '{path}' within {(timeout ?? TimeSpan.FromSeconds(30)).TotalSeconds:0} s: another DryWet process holds it ({ex.Message}).", ex);
            }
        }
    }

    public void Dispose() => _stream.Dispose();
}

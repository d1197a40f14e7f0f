using System.Collections.Concurrent;
using DryWet.Core.Imaging;
using DryWet.Core.Storage;

namespace DryWet.Web.Review;

/// <summary>
/// 160 px JPEG thumbnails of logged images, made once (<see cref="ThumbnailDecoder"/>: header first, pixel limit, scaled
/// decode within the decode budget) and kept in the web cache; a page of thumbnails after the first visit costs file reads only.
/// </summary>
public sealed class ThumbnailCache(IObjectStore store, WebCache cache, ThumbnailDecoder decoder)
{
    public const int MaxSide = ThumbnailDecoder.MaxSide;
    private readonly ConcurrentDictionary<string, SemaphoreSlim> _making = new();

    /// <summary>The cached thumbnail of a logged prediction, or null when it has not been made yet. Date and id must be checked before.</summary>
    public string? Cached(string date, string id) => cache.Thumbnail(date, id) is var path && File.Exists(path) ? path : null;

    /// <summary>The thumbnail's path, made now if it does not exist yet.</summary>
    /// <exception cref="InvalidImageException">The logged file is not a decodable image, or too large.</exception>
    /// <exception cref="DecodeBusyException">The decode budget stayed full.</exception>
    public async Task<string> GetAsync(LoggedPrediction prediction, CancellationToken cancellationToken)
    {
        var path = cache.Thumbnail(prediction.Date, prediction.Record.Id);
        if (File.Exists(path))
        {
            return path;
        }

        var gate = _making.GetOrAdd(path, _ => new SemaphoreSlim(1, 1));
        await gate.WaitAsync(cancellationToken);
        try
        {
            if (!File.Exists(path))
            {
                await MakeAsync(prediction, path, cancellationToken);
            }

            return path;
        }
        finally
        {
            gate.Release();
            _making.TryRemove(path, out _);
        }
    }

    private async Task MakeAsync(LoggedPrediction prediction, string path, CancellationToken cancellationToken)
    {
        // On disk, not in memory: the decoder reads the header from the file and decodes from it.
        var source = cache.TempFile(prediction.Extension);
        try
        {
            await store.DownloadFileAsync(PredictionLog.FeedbackBucket, prediction.ImageKey, source, cancellationToken);
            await AtomicFile.WriteAsync(path, (stream, ct) => decoder.WriteAsync(source, stream, ct), cancellationToken);
        }
        finally
        {
            File.Delete(source);
        }
    }
}

using System.Collections.Concurrent;
using DryWet.Core.Imaging;
using DryWet.Core.Storage;
using SkiaSharp;

namespace DryWet.Web.Review;

/// <summary>
/// 160 px JPEG thumbnails of logged images, made once (decode with DryWet's own preprocessor: its size and bomb limits)
/// and kept in the web cache; a page of thumbnails after the first visit costs file reads only.
/// </summary>
public sealed class ThumbnailCache(IObjectStore store, WebCache cache)
{
    public const int MaxSide = 160;
    private readonly ConcurrentDictionary<string, SemaphoreSlim> _making = new();

    /// <summary>The thumbnail's path, made now if it does not exist yet.</summary>
    /// <exception cref="InvalidImageException">The logged file is not a decodable image.</exception>
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
        var source = cache.TempFile(prediction.Extension);
        try
        {
            await store.DownloadFileAsync(PredictionLog.FeedbackBucket, prediction.ImageKey, source, cancellationToken);
            var encoded = await File.ReadAllBytesAsync(source, cancellationToken);
            var (width, height) = ThumbnailSize(encoded);
            var preprocessor = new ImagePreprocessor(new PreprocessorOptions { Width = width, Height = height });
            using var bitmap = preprocessor.DecodeBitmap(encoded);
            using var data = bitmap.Encode(SKEncodedImageFormat.Jpeg, 80);
            await AtomicFile.WriteAsync(path, (stream, ct) =>
            {
                data.SaveTo(stream);
                return Task.CompletedTask;
            }, cancellationToken);
        }
        finally
        {
            File.Delete(source);
        }
    }

    /// <summary>Keeps the aspect ratio: the longer side becomes <see cref="MaxSide"/> (never upscaled).</summary>
    private static (int Width, int Height) ThumbnailSize(byte[] encoded)
    {
        using var codec = SKCodec.Create(new SKMemoryStream(encoded));
        if (codec is null)
        {
            throw new UnsupportedImageFormatException($"The logged file ({encoded.Length} bytes) is not an image this server can decode.");
        }

        var (w, h) = (codec.Info.Width, codec.Info.Height);
        var scale = Math.Min(1.0, (double)MaxSide / Math.Max(w, h));
        return (Math.Max(1, (int)Math.Round(w * scale)), Math.Max(1, (int)Math.Round(h * scale)));
    }
}

using DryWet.Core.Imaging;
using SkiaSharp;

namespace DryWet.Web.Review;

/// <summary>
/// Makes a small JPEG of a logged image within the web's memory: reads the header first (SKCodec), refuses images over
/// <c>Web:MaxImagePixels</c>, decodes at the smallest size the format offers (JPEG's 1/2–1/8 scaling, WebP's any
/// scale; PNG, BMP and GIF decode at full size) after reserving those bytes from the <see cref="ThumbnailDecodeBudget"/>.
/// </summary>
public sealed class ThumbnailDecoder(WebOptions options, ThumbnailDecodeBudget budget)
{
    /// <summary>The thumbnail's longer side.</summary>
    public const int MaxSide = 160;

    /// <summary>Decode at least twice the thumbnail's side where the format can scale: a sharper downscale.</summary>
    private const int DecodeSide = 2 * MaxSide;

    /// <summary>Writes the thumbnail of the image file <paramref name="source"/> to <paramref name="target"/>; returns the size it decoded at.</summary>
    /// <exception cref="InvalidImageException">Not an image, damaged, or over the pixel limit.</exception>
    /// <exception cref="DecodeBusyException">No room in the budget within <see cref="ThumbnailDecodeBudget.Wait"/>.</exception>
    public async Task<SKSizeI> WriteAsync(string source, Stream target, CancellationToken cancellationToken)
    {
        using var codec = SKCodec.Create(source)
            ?? throw new UnsupportedImageFormatException($"The logged file ({new FileInfo(source).Length} bytes) is not an image this server can decode (JPEG, PNG, WebP, BMP, GIF).");
        var (width, height) = (codec.Info.Width, codec.Info.Height);
        if (width <= 0 || height <= 0 || (long)width * height > options.MaxImagePixels)
        {
            throw new ThumbnailTooLargeException(width, height, options.MaxImagePixels);
        }

        var decoded = codec.GetScaledDimensions(Math.Min(1f, (float)DecodeSide / Math.Max(width, height)));
        var needed = (long)decoded.Width * decoded.Height * 4 + MaxSide * MaxSide * 4 * 2;
        using var lease = await budget.TryReserveAsync(needed, ThumbnailDecodeBudget.Wait, cancellationToken) ?? throw new DecodeBusyException(needed);
        using var pixels = Decode(codec, decoded);
        using var thumbnail = Shrink(pixels, codec.EncodedOrigin);
        using var data = thumbnail.Encode(SKEncodedImageFormat.Jpeg, 80);
        data.SaveTo(target);
        return decoded;
    }

    private static SKBitmap Decode(SKCodec codec, SKSizeI size)
    {
        var info = new SKImageInfo(size.Width, size.Height, SKColorType.Rgba8888, SKAlphaType.Premul);
        var bitmap = new SKBitmap(info);
        var result = codec.GetPixels(info, bitmap.GetPixels());
        if (result is not SKCodecResult.Success)
        {
            bitmap.Dispose();
            throw new CorruptImageException($"The logged image ({codec.EncodedFormat}, {codec.Info.Width}×{codec.Info.Height}) could not be decoded: {result}.");
        }

        return bitmap;
    }

    /// <summary>Scales so the longer side is <see cref="MaxSide"/> (never up) and turns the picture upright (EXIF orientation).</summary>
    private static SKBitmap Shrink(SKBitmap source, SKEncodedOrigin origin)
    {
        var scale = Math.Min(1.0, (double)MaxSide / Math.Max(source.Width, source.Height));
        var (w, h) = (Math.Max(1, (int)Math.Round(source.Width * scale)), Math.Max(1, (int)Math.Round(source.Height * scale)));
        var sampling = new SKSamplingOptions(SKFilterMode.Linear, SKMipmapMode.Linear);
        var scaled = source.Resize(new SKImageInfo(w, h, SKColorType.Rgba8888, SKAlphaType.Premul), sampling)
            ?? throw new CorruptImageException($"The logged image ({source.Width}×{source.Height}) could not be scaled.");
        if (origin is SKEncodedOrigin.TopLeft or SKEncodedOrigin.Default)
        {
            return scaled;
        }

        using (scaled)
        {
            var swaps = origin is SKEncodedOrigin.LeftTop or SKEncodedOrigin.RightTop or SKEncodedOrigin.RightBottom or SKEncodedOrigin.LeftBottom;
            var upright = new SKBitmap(new SKImageInfo(swaps ? h : w, swaps ? w : h, SKColorType.Rgba8888, SKAlphaType.Premul));
            using var canvas = new SKCanvas(upright);
            canvas.SetMatrix(Orientation(origin, w, h));
            canvas.DrawBitmap(scaled, 0, 0);
            return upright;
        }
    }

    /// <summary>Maps the stored pixels (w × h) onto the upright picture, per the EXIF orientation.</summary>
    private static SKMatrix Orientation(SKEncodedOrigin origin, int w, int h) => origin switch
    {
        SKEncodedOrigin.TopRight => new SKMatrix(-1, 0, w, 0, 1, 0, 0, 0, 1),
        SKEncodedOrigin.BottomRight => new SKMatrix(-1, 0, w, 0, -1, h, 0, 0, 1),
        SKEncodedOrigin.BottomLeft => new SKMatrix(1, 0, 0, 0, -1, h, 0, 0, 1),
        SKEncodedOrigin.LeftTop => new SKMatrix(0, 1, 0, 1, 0, 0, 0, 0, 1),
        SKEncodedOrigin.RightTop => new SKMatrix(0, -1, h, 1, 0, 0, 0, 0, 1),
        SKEncodedOrigin.RightBottom => new SKMatrix(0, -1, h, -1, 0, w, 0, 0, 1),
        SKEncodedOrigin.LeftBottom => new SKMatrix(0, 1, 0, -1, 0, w, 0, 0, 1),
        _ => SKMatrix.Identity,
    };
}

using DryWet.Core.Imaging;
using SkiaSharp;

namespace DryWet.Web.Review;

/// <summary>
/// Makes a small JPEG of a logged image within the web's memory, with serving's decoder (<see cref="ImagePreprocessor"/>:
/// header first, <c>Web:MaxImagePixels</c> refused before any pixel exists, JPEGs at the smallest DCT scale covering
/// the thumbnail, antialiased resize, EXIF orientation) after reserving its working bytes from the shared
/// <see cref="DecodeBudget"/>.
/// </summary>
public sealed class ThumbnailDecoder(WebOptions options, DecodeBudget budget)
{
    /// <summary>The thumbnail's longer side.</summary>
    public const int MaxSide = 160;

    /// <summary>How long a thumbnail request waits for room in the decode budget before it is refused (503).</summary>
    public static readonly TimeSpan BudgetWait = TimeSpan.FromSeconds(2);

    /// <summary>Thumbnail requests that may wait for the budget at once; more are refused at once (503).</summary>
    public const int MaxWaiting = 256;

    private readonly ImagePreprocessor _images = new(new PreprocessorOptions
    {
        Width = MaxSide,
        Height = MaxSide,
        MaxPixels = options.MaxImagePixels,
        Mean = [0, 0, 0],
        Std = [1, 1, 1],
    });

    /// <summary>The web's decode budget: <c>Web:DecodeMemoryBudgetMB</c>, one decode per core, refusals as <see cref="DecodeBusyException"/>.</summary>
    public static DecodeBudget CreateBudget(WebOptions options) =>
        new(options.DecodeMemoryBudgetBytes, Math.Max(1, Environment.ProcessorCount), MaxWaiting, BudgetWait,
            refusal => new DecodeBusyException(refusal.Bytes));

    /// <summary>Writes the thumbnail of the image file <paramref name="source"/> to <paramref name="target"/>; returns the size it decoded at.</summary>
    /// <exception cref="InvalidImageException">Not an image, damaged, or over the pixel limit.</exception>
    /// <exception cref="DecodeBusyException">No room in the budget within <see cref="BudgetWait"/>.</exception>
    public async Task<SKSizeI> WriteAsync(string source, Stream target, CancellationToken cancellationToken)
    {
        var encoded = await File.ReadAllBytesAsync(source, cancellationToken);
        var header = ReadHeader(encoded, MaxSide, MaxSide);
        var scale = Math.Min(1.0, (double)MaxSide / Math.Max(header.Width, header.Height));
        var (width, height) = (Math.Max(1, (int)Math.Round(header.Width * scale)), Math.Max(1, (int)Math.Round(header.Height * scale)));
        var plan = ReadHeader(encoded, width, height);
        var needed = plan.WorkingBytes + (long)width * height * 4; // + the bitmap the JPEG is encoded from
        if (needed > budget.CapacityBytes)
        {
            throw new ThumbnailTooLargeException(header.Width, header.Height, options.MaxImagePixels);
        }

        using var reservation = await budget.ReserveAsync(needed, cancellationToken);
        var image = _images.Decode(encoded, width, height);
        using var bitmap = new SKBitmap(new SKImageInfo(width, height, SKColorType.Rgba8888, SKAlphaType.Opaque));
        var pixels = bitmap.GetPixelSpan();
        for (int i = 0, j = 0; j < image.Rgb.Length; i += 4, j += 3)
        {
            pixels[i] = image.Rgb[j];
            pixels[i + 1] = image.Rgb[j + 1];
            pixels[i + 2] = image.Rgb[j + 2];
            pixels[i + 3] = 255;
        }

        using var data = bitmap.Encode(SKEncodedImageFormat.Jpeg, 80);
        data.SaveTo(target);
        return new SKSizeI(plan.DecodeWidth, plan.DecodeHeight);
    }

    private ImageHeader ReadHeader(byte[] encoded, int width, int height)
    {
        try
        {
            return _images.ReadHeader(encoded, width, height);
        }
        catch (ImageTooLargeException ex)
        {
            throw new ThumbnailTooLargeException(ex.Width, ex.Height, options.MaxImagePixels);
        }
    }
}

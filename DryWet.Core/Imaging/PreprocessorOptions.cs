using DryWet.Core.Configuration;

namespace DryWet.Core.Imaging;

/// <summary>How an encoded image becomes a model input: target size, normalization, limits, resampling.</summary>
public sealed class PreprocessorOptions
{
    /// <summary>Model input width in pixels (the original: <c>training.img_size</c>).</summary>
    public int Width { get; init; } = 224;

    /// <summary>Model input height in pixels (the original: <c>training.img_size</c>).</summary>
    public int Height { get; init; } = 224;

    /// <summary>Per-channel mean in R, G, B order, applied after scaling to [0, 1].</summary>
    public float[] Mean { get; init; } = [0.485f, 0.456f, 0.406f];

    /// <summary>Per-channel standard deviation in R, G, B order.</summary>
    public float[] Std { get; init; } = [0.229f, 0.224f, 0.225f];

    /// <summary>Largest accepted width or height, read from the header before any pixel is allocated.</summary>
    public int MaxDimension { get; init; } = 16_384;

    /// <summary>Largest accepted width × height (a 50 MP photo passes; a 60000×60000 "decompression bomb" does not).</summary>
    public long MaxPixels { get; init; } = 64_000_000;

    /// <summary>Resampler of the final resize to Width × Height.</summary>
    public Resampler Resampler { get; init; } = Resampler.Mitchell;

    /// <summary>
    /// Decode JPEGs at 1/8 … 8/8 scale (libjpeg-turbo DCT scaling) when the target is much smaller; the decoded size is
    /// never below the target. This is most of a CPU server's preprocessing time.
    /// </summary>
    public bool ScaledJpegDecoding { get; init; } = true;

    /// <summary>Which libjpeg-turbo DCT scales the decoder may choose from (see <see cref="Imaging.JpegScales"/>).</summary>
    public JpegScales JpegScales { get; init; } = JpegScales.Eighths;

    /// <summary>Which libjpeg-turbo build decodes JPEGs (<see cref="Imaging.JpegDecoder"/>): the same pixels, the speed differs.</summary>
    public JpegDecoder JpegDecoder { get; init; } = JpegDecoder.Auto;

    /// <summary>Options from a package's config.yaml; a model with a fixed input size overrides <c>training.img_size</c>.</summary>
    public static PreprocessorOptions FromConfig(DryWetConfig config, int? modelHeight = null, int? modelWidth = null)
    {
        ArgumentNullException.ThrowIfNull(config);
        return new PreprocessorOptions
        {
            Width = modelWidth ?? config.Training.ImgSize,
            Height = modelHeight ?? config.Training.ImgSize,
            Mean = [.. config.Normalization.Mean],
            Std = [.. config.Normalization.Std],
        };
    }

    internal void Validate()
    {
        if (Width is < 1 or > 8192 || Height is < 1 or > 8192)
        {
            throw new DryWetException($"Preprocessing target size {Width}×{Height} is invalid: width and height must be between 1 and 8192.");
        }

        if (Mean is not { Length: 3 } || Std is not { Length: 3 } || Std.Any(s => !(s > 0)))
        {
            throw new DryWetException(
                $"Normalization needs 3 means and 3 positive stds (R, G, B); got mean [{string.Join(", ", Mean ?? [])}], std [{string.Join(", ", Std ?? [])}].");
        }

        if (MaxDimension < 1 || MaxPixels < 1)
        {
            throw new DryWetException($"MaxDimension ({MaxDimension}) and MaxPixels ({MaxPixels}) must be positive.");
        }
    }
}

/// <summary>The filter of the final resize. Larger reductions are first box-halved (2×2 average) to within 2× of the target.</summary>
public enum Resampler
{
    /// <summary>Bilinear (the filter torchvision's Resize defaults to).</summary>
    Bilinear,

    /// <summary>Mitchell–Netravali cubic (B = C = 1/3): smooth, little ringing. The default.</summary>
    Mitchell,

    /// <summary>Catmull–Rom cubic (B = 0, C = 1/2): sharper, slight ringing.</summary>
    CatmullRom,
}

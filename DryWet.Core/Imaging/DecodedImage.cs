namespace DryWet.Core.Imaging;

/// <summary>
/// An image already oriented (EXIF), without alpha, resized to the model size: interleaved 8-bit RGB, row-major (HWC).
/// The trainer augments these pixels; <see cref="ImagePreprocessor.ToTensor"/> turns them into the model input.
/// </summary>
public sealed class DecodedImage
{
    public DecodedImage(int width, int height, byte[] rgb, int sourceWidth = 0, int sourceHeight = 0)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(width, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(height, 1);
        ArgumentNullException.ThrowIfNull(rgb);
        if (rgb.Length != width * height * 3)
        {
            throw new ArgumentException($"RGB buffer has {rgb.Length} bytes; {width}×{height}×3 = {width * height * 3} expected.", nameof(rgb));
        }

        Width = width;
        Height = height;
        Rgb = rgb;
        SourceWidth = sourceWidth == 0 ? width : sourceWidth;
        SourceHeight = sourceHeight == 0 ? height : sourceHeight;
    }

    public int Width { get; }
    public int Height { get; }

    /// <summary>R, G, B bytes per pixel, rows top to bottom.</summary>
    public byte[] Rgb { get; }

    /// <summary>Size of the encoded image after orientation, before any scaling.</summary>
    public int SourceWidth { get; }

    public int SourceHeight { get; }
}

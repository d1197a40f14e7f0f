namespace DryWet.Core.Imaging;

/// <summary>An encoded image that cannot be preprocessed; the message says why and what to send instead.</summary>
public abstract class InvalidImageException(string message) : DryWetException(message);

/// <summary>Zero bytes were given.</summary>
public sealed class EmptyImageException()
    : InvalidImageException("The image is empty (0 bytes). Send a JPEG, PNG, WebP, BMP or GIF file.");

/// <summary>The bytes are not an image in a supported format (JPEG, PNG, WebP, BMP, GIF).</summary>
public sealed class UnsupportedImageFormatException(string message) : InvalidImageException(message);

/// <summary>The bytes start like a supported image but are truncated or damaged.</summary>
public sealed class CorruptImageException(string message) : InvalidImageException(message);

/// <summary>The header declares more pixels than allowed; refused before any pixel memory is allocated.</summary>
public sealed class ImageTooLargeException(int width, int height, int maxDimension, long maxPixels)
    : InvalidImageException(
        $"The image is {width}×{height} pixels, more than allowed (at most {maxDimension} pixels per side and {maxPixels:N0} pixels in total). Send a smaller image.")
{
    public int Width { get; } = width;
    public int Height { get; } = height;
}

using DryWet.Core.Imaging;

namespace DryWet.Web.Review;

/// <summary>A logged image whose header declares more pixels than <c>Web:MaxImagePixels</c>: refused before any pixel is decoded.</summary>
public sealed class ThumbnailTooLargeException(int width, int height, long maxPixels)
    : InvalidImageException(
        $"The logged image is {width}×{height} pixels ({(long)width * height:N0}); thumbnails are made of images up to {maxPixels:N0} pixels (Web:MaxImagePixels).")
{
    public int Width { get; } = width;
    public int Height { get; } = height;
}

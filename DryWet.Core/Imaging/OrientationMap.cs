using SkiaSharp;

namespace DryWet.Core.Imaging;

/// <summary>
/// Where pixel (x, y) of the encoded (stored) frame lands in the upright picture of <c>width × height</c> (EXIF
/// orientations 1–8), as a destination index: <c>RowBase(y) + x × Step</c>.
/// </summary>
internal readonly struct OrientationMap
{
    private readonly int _origin;
    private readonly int _rowStep;

    /// <param name="width">Width of the upright (oriented) destination.</param>
    /// <param name="height">Height of the upright destination.</param>
    public OrientationMap(SKEncodedOrigin origin, int width, int height)
    {
        // Upright (ox, oy) = (ax + x·bx + y·cx, ay + x·by + y·cy); index = oy·width + ox.
        var (ax, bx, cx, ay, by, cy) = origin switch
        {
            SKEncodedOrigin.TopRight => (width - 1, -1, 0, 0, 0, 1),
            SKEncodedOrigin.BottomRight => (width - 1, -1, 0, height - 1, 0, -1),
            SKEncodedOrigin.BottomLeft => (0, 1, 0, height - 1, 0, -1),
            SKEncodedOrigin.LeftTop => (0, 0, 1, 0, 1, 0),
            SKEncodedOrigin.RightTop => (width - 1, 0, -1, 0, 1, 0),
            SKEncodedOrigin.RightBottom => (width - 1, 0, -1, height - 1, -1, 0),
            SKEncodedOrigin.LeftBottom => (0, 0, 1, height - 1, -1, 0),
            _ => (0, 1, 0, 0, 0, 1),
        };
        _origin = ay * width + ax;
        Step = by * width + bx;
        _rowStep = cy * width + cx;
    }

    /// <summary>Index change per step along an encoded row.</summary>
    public int Step { get; }

    public int RowBase(int y) => _origin + y * _rowStep;

    public static bool SwapsAxes(SKEncodedOrigin origin) =>
        origin is SKEncodedOrigin.LeftTop or SKEncodedOrigin.RightTop or SKEncodedOrigin.RightBottom or SKEncodedOrigin.LeftBottom;
}

namespace DryWet.Core.Imaging;

/// <summary>Writes interleaved 8-bit RGB (HWC), the pixels of a <see cref="DecodedImage"/>.</summary>
internal readonly ref struct RgbWriter(Span<byte> rgb) : IPixelWriter
{
    private readonly Span<byte> _rgb = rgb;

    public void Write(int index, int red, int green, int blue)
    {
        var i = 3 * index;
        _rgb[i] = (byte)red;
        _rgb[i + 1] = (byte)green;
        _rgb[i + 2] = (byte)blue;
    }
}

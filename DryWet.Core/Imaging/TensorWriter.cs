namespace DryWet.Core.Imaging;

/// <summary>Writes normalized floats into the R, G and B planes of a CHW tensor through the 3 × 256 lookup table.</summary>
internal readonly ref struct TensorWriter(ReadOnlySpan<float> lookup, Span<float> destination, int planeSize) : IPixelWriter
{
    private readonly ReadOnlySpan<float> _lookup = lookup;
    private readonly Span<float> _red = destination[..planeSize];
    private readonly Span<float> _green = destination.Slice(planeSize, planeSize);
    private readonly Span<float> _blue = destination.Slice(2 * planeSize, planeSize);

    public void Write(int index, int red, int green, int blue)
    {
        _red[index] = _lookup[red];
        _green[index] = _lookup[256 + green];
        _blue[index] = _lookup[512 + blue];
    }
}

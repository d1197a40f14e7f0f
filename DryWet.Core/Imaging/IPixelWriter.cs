namespace DryWet.Core.Imaging;

/// <summary>Where <see cref="PixelResampler"/> puts each finished pixel (8-bit R, G, B) at a destination pixel index.</summary>
internal interface IPixelWriter
{
    void Write(int index, int red, int green, int blue);
}

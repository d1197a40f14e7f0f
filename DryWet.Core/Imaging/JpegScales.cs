namespace DryWet.Core.Imaging;

/// <summary>
/// The DCT scales a JPEG may be decoded at; the smallest one whose size still covers the model input wins. libjpeg-turbo
/// decodes at k/8 by running a smaller IDCT per 8×8 block (1/8 keeps only the DC coefficient).
/// </summary>
public enum JpegScales
{
    /// <summary>Any of 1/8 … 7/8 (the default): the decode closest above the target, fewest pixels to convert and resize.</summary>
    Eighths,

    /// <summary>Only 1/8, 1/4 and 1/2: the IDCTs that keep a power-of-two block (1×1, 2×2, 4×4).</summary>
    PowersOfTwo,
}

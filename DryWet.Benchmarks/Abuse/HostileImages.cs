using System.Buffers.Binary;
using System.IO.Compression;
using System.Text;

namespace DryWet.Benchmarks.Abuse;

/// <summary>
/// Decompression bombs written byte by byte: tiny files whose headers promise huge images (issue 19's table).
/// </summary>
internal static class HostileImages
{
    public const int BombSide = 8000;

    /// <summary>
    /// A 60-byte BMP, 8-bit RLE (BI_RLE8), <paramref name="side"/>×<paramref name="side"/>: file header, info header, a
    /// one-colour palette and the single RLE record "end of bitmap". A decoder that trusts the header allocates the full
    /// bitmap and fills it from two bytes of data.
    /// </summary>
    public static byte[] Rle8BmpBomb(int side = BombSide)
    {
        const int headerBytes = 14 + 40 + 4; // file header, BITMAPINFOHEADER, one palette entry
        var bmp = new byte[headerBytes + 2];
        var span = bmp.AsSpan();
        span[0] = (byte)'B';
        span[1] = (byte)'M';
        BinaryPrimitives.WriteInt32LittleEndian(span[2..], bmp.Length);
        BinaryPrimitives.WriteInt32LittleEndian(span[10..], headerBytes); // pixel data offset
        BinaryPrimitives.WriteInt32LittleEndian(span[14..], 40); // info header size
        BinaryPrimitives.WriteInt32LittleEndian(span[18..], side);
        BinaryPrimitives.WriteInt32LittleEndian(span[22..], side);
        BinaryPrimitives.WriteInt16LittleEndian(span[26..], 1); // planes
        BinaryPrimitives.WriteInt16LittleEndian(span[28..], 8); // bits per pixel
        BinaryPrimitives.WriteInt32LittleEndian(span[30..], 1); // BI_RLE8
        BinaryPrimitives.WriteInt32LittleEndian(span[34..], 2); // compressed data size
        BinaryPrimitives.WriteInt32LittleEndian(span[46..], 1); // colours used
        span[54] = 0x40; // palette entry 0: B, G, R, reserved
        span[55] = 0x40;
        span[56] = 0x40;
        span[headerBytes] = 0; // escape
        span[headerBytes + 1] = 1; // end of bitmap
        return bmp;
    }

    /// <summary>
    /// A PNG, 8-bit RGB, <paramref name="side"/>×<paramref name="side"/>, all black: every row is filter byte 0 and
    /// zeros, deflated at the smallest size (≈ 187 KB for 8000×8000, 192 MB of pixel data).
    /// </summary>
    public static byte[] PngBomb(int side = BombSide)
    {
        using var png = new MemoryStream();
        png.Write([0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A]);
        var header = new byte[13];
        BinaryPrimitives.WriteInt32BigEndian(header, side);
        BinaryPrimitives.WriteInt32BigEndian(header.AsSpan(4), side);
        header[8] = 8; // bit depth
        header[9] = 2; // colour type RGB; compression, filter, interlace 0
        WriteChunk(png, "IHDR", header);
        using (var data = new MemoryStream())
        {
            using (var zlib = new ZLibStream(data, CompressionLevel.SmallestSize, leaveOpen: true))
            {
                var row = new byte[1 + 3 * side];
                for (var y = 0; y < side; y++)
                {
                    zlib.Write(row);
                }
            }

            WriteChunk(png, "IDAT", data.ToArray());
        }

        WriteChunk(png, "IEND", []);
        return png.ToArray();
    }

    /// <summary>The first half of a valid JPEG: a truncated upload (422).</summary>
    public static byte[] Truncated(byte[] jpeg) => jpeg[..(jpeg.Length / 2)];

    /// <summary>Text sent as an image (415).</summary>
    public static byte[] NotAnImage() => Encoding.ASCII.GetBytes("this is not an image, it is a sentence.\n");

    /// <summary>
    /// An Open Inference Protocol request whose FP32 input declares <c>[batch, 3, height, width]</c> but carries no data
    /// (≈ 80 bytes for 64×3×96×96): a server that allocates the declared tensor before reading the data pays for it.
    /// </summary>
    public static string EmptyOipRequest(string inputName, int batch, int height, int width) =>
        $$"""{"inputs":[{"name":"{{inputName}}","shape":[{{batch}},3,{{height}},{{width}}],"datatype":"FP32","data":[]}]}""";

    private static void WriteChunk(Stream png, string type, byte[] data)
    {
        Span<byte> length = stackalloc byte[4];
        BinaryPrimitives.WriteInt32BigEndian(length, data.Length);
        png.Write(length);
        var typeBytes = Encoding.ASCII.GetBytes(type);
        png.Write(typeBytes);
        png.Write(data);
        var crc = Crc32.Append(Crc32.Append(0xFFFFFFFFu, typeBytes), data) ^ 0xFFFFFFFFu;
        Span<byte> crcBytes = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(crcBytes, crc);
        png.Write(crcBytes);
    }
}

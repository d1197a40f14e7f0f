using System.Buffers.Binary;
using System.IO.Compression;
using System.Text;

namespace DryWet.Tests.Web;

/// <summary>Small files that declare huge images: what an attacker gets logged to make the web decode gigabytes.</summary>
internal static class BombImages
{
    /// <summary>A valid grayscale PNG of <paramref name="width"/>×<paramref name="height"/> zero pixels: tens of KB for 64 MP.</summary>
    public static byte[] Png(int width, int height)
    {
        using var idat = new MemoryStream();
        using (var zlib = new ZLibStream(idat, CompressionLevel.Fastest, leaveOpen: true))
        {
            var row = new byte[width + 1]; // filter byte 0, then zeros
            for (var y = 0; y < height; y++)
            {
                zlib.Write(row);
            }
        }

        var header = new byte[13];
        BinaryPrimitives.WriteInt32BigEndian(header, width);
        BinaryPrimitives.WriteInt32BigEndian(header.AsSpan(4), height);
        header[8] = 8; // bit depth; colour type 0 (grey), deflate, no filter method, no interlace
        using var png = new MemoryStream();
        png.Write([0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A]);
        Chunk(png, "IHDR", header);
        Chunk(png, "IDAT", idat.ToArray());
        Chunk(png, "IEND", []);
        return png.ToArray();
    }

    /// <summary>A 60-byte BMP (RLE8, one palette entry, "end of bitmap" at once) that declares <paramref name="width"/>×<paramref name="height"/>.</summary>
    public static byte[] BmpRle8(int width, int height)
    {
        var bmp = new byte[60];
        var s = bmp.AsSpan();
        s[0] = (byte)'B';
        s[1] = (byte)'M';
        BinaryPrimitives.WriteInt32LittleEndian(s[2..], bmp.Length);
        BinaryPrimitives.WriteInt32LittleEndian(s[10..], 14 + 40 + 4); // pixel data offset
        BinaryPrimitives.WriteInt32LittleEndian(s[14..], 40);          // BITMAPINFOHEADER
        BinaryPrimitives.WriteInt32LittleEndian(s[18..], width);
        BinaryPrimitives.WriteInt32LittleEndian(s[22..], height);
        BinaryPrimitives.WriteInt16LittleEndian(s[26..], 1);           // planes
        BinaryPrimitives.WriteInt16LittleEndian(s[28..], 8);           // bits per pixel
        BinaryPrimitives.WriteInt32LittleEndian(s[30..], 1);           // BI_RLE8
        BinaryPrimitives.WriteInt32LittleEndian(s[34..], 2);           // image size
        BinaryPrimitives.WriteInt32LittleEndian(s[46..], 1);           // colours used
        // palette entry 0 black at 54..57; RLE: 00 01 = end of bitmap
        s[58] = 0;
        s[59] = 1;
        return bmp;
    }

    private static void Chunk(Stream png, string type, byte[] data)
    {
        Span<byte> length = stackalloc byte[4];
        BinaryPrimitives.WriteInt32BigEndian(length, data.Length);
        png.Write(length);
        var typed = new byte[4 + data.Length];
        Encoding.ASCII.GetBytes(type, typed);
        data.CopyTo(typed, 4);
        png.Write(typed);
        BinaryPrimitives.WriteUInt32BigEndian(length, Crc32(typed));
        png.Write(length);
    }

    private static uint Crc32(byte[] bytes)
    {
        var crc = 0xFFFFFFFFu;
        foreach (var b in bytes)
        {
            crc ^= b;
            for (var k = 0; k < 8; k++)
            {
                crc = (crc & 1) != 0 ? 0xEDB88320u ^ (crc >> 1) : crc >> 1;
            }
        }

        return ~crc;
    }
}

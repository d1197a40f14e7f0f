using SkiaSharp;

namespace DryWet.Tests.Serving;

/// <summary>Encoded test images built in memory: solid colours, split images, hand-written BMP/GIF, EXIF-tagged JPEGs.</summary>
public static class TestImages
{
    /// <summary>An image filled by <paramref name="pixel"/>(x, y) → colour, encoded as PNG, JPEG or WebP.</summary>
    public static byte[] Encode(int width, int height, Func<int, int, SKColor> pixel, SKEncodedImageFormat format = SKEncodedImageFormat.Png, int quality = 95)
    {
        using var bitmap = new SKBitmap(new SKImageInfo(width, height, SKColorType.Rgba8888, SKAlphaType.Unpremul));
        var pixels = bitmap.GetPixelSpan(); // explicit RGBA byte order; SetPixel per pixel is far slower
        for (var y = 0; y < height; y++)
        {
            for (var x = 0; x < width; x++)
            {
                var c = pixel(x, y);
                var i = (y * width + x) * 4;
                pixels[i] = c.Red;
                pixels[i + 1] = c.Green;
                pixels[i + 2] = c.Blue;
                pixels[i + 3] = c.Alpha;
            }
        }

        using var image = SKImage.FromBitmap(bitmap);
        using var data = image.Encode(format, quality) ?? throw new InvalidOperationException($"Skia cannot encode {format}.");
        return data.ToArray();
    }

    public static byte[] Solid(SKColor colour, int size = 16, SKEncodedImageFormat format = SKEncodedImageFormat.Png)
        => Encode(size, size, (_, _) => colour, format);

    /// <summary>Blue-dominant ("wet" for the test models) or red-dominant ("dry") JPEG with some texture.</summary>
    public static byte[] Road(bool wet, int width = 64, int height = 48)
        => Encode(width, height, (x, y) => wet
            ? new SKColor((byte)(40 + (x * 7 + y) % 30), 90, (byte)(200 + (x + y) % 40))
            : new SKColor((byte)(200 + (x + y) % 40), 90, (byte)(40 + (x * 3 + y) % 30)), SKEncodedImageFormat.Jpeg, 90);

    /// <summary>A noisy 1920×1080 JPEG (quality 90), the benchmark's "phone photo".</summary>
    public static byte[] NoisyPhoto(int width = 1920, int height = 1080, int seed = 7)
    {
        var random = new Random(seed);
        return Encode(width, height, (x, y) => new SKColor((byte)((x / 8 * 5 + random.Next(40)) % 256), (byte)((y / 6 * 3 + random.Next(40)) % 256), (byte)random.Next(256)),
            SKEncodedImageFormat.Jpeg, 90);
    }

    /// <summary>An uncompressed 24-bit BMP (Skia has no BMP encoder).</summary>
    public static byte[] Bmp(int width, int height, Func<int, int, SKColor> pixel)
    {
        var rowSize = (width * 3 + 3) & ~3;
        var pixelBytes = rowSize * height;
        var bytes = new byte[54 + pixelBytes];
        bytes[0] = (byte)'B';
        bytes[1] = (byte)'M';
        BitConverter.TryWriteBytes(bytes.AsSpan(2), bytes.Length);
        BitConverter.TryWriteBytes(bytes.AsSpan(10), 54);
        BitConverter.TryWriteBytes(bytes.AsSpan(14), 40);
        BitConverter.TryWriteBytes(bytes.AsSpan(18), width);
        BitConverter.TryWriteBytes(bytes.AsSpan(22), height);
        BitConverter.TryWriteBytes(bytes.AsSpan(26), (short)1);
        BitConverter.TryWriteBytes(bytes.AsSpan(28), (short)24);
        BitConverter.TryWriteBytes(bytes.AsSpan(34), pixelBytes);
        for (var y = 0; y < height; y++)
        {
            var row = 54 + (height - 1 - y) * rowSize; // bottom-up rows, B G R
            for (var x = 0; x < width; x++)
            {
                var c = pixel(x, y);
                bytes[row + x * 3] = c.Blue;
                bytes[row + x * 3 + 1] = c.Green;
                bytes[row + x * 3 + 2] = c.Red;
            }
        }

        return bytes;
    }

    /// <summary>A 1×1 GIF89a whose only pixel is <paramref name="colour"/> (2-entry palette, one LZW-coded index 0).</summary>
    public static byte[] Gif1x1(SKColor colour) =>
    [
        .. "GIF89a"u8, 1, 0, 1, 0, 0x80, 0, 0, colour.Red, colour.Green, colour.Blue, 0, 0, 0,
        0x2C, 0, 0, 0, 0, 1, 0, 1, 0, 0, 2, 2, 0x44, 0x01, 0, 0x3B,
    ];

    /// <summary>Inserts an EXIF APP1 segment with the given orientation (1–8) right after the JPEG's SOI marker.</summary>
    public static byte[] WithExifOrientation(byte[] jpeg, ushort orientation)
    {
        byte[] tiff =
        [
            (byte)'M', (byte)'M', 0, 42, 0, 0, 0, 8, // big-endian TIFF header, IFD at offset 8
            0, 1,                                    // one entry
            0x01, 0x12, 0, 3, 0, 0, 0, 1,            // Orientation, SHORT, count 1
            (byte)(orientation >> 8), (byte)orientation, 0, 0,
            0, 0, 0, 0,                              // no next IFD
        ];
        byte[] payload = [.. "Exif\0\0"u8, .. tiff];
        var length = payload.Length + 2;
        byte[] app1 = [0xFF, 0xE1, (byte)(length >> 8), (byte)length, .. payload];
        return [.. jpeg.AsSpan(0, 2), .. app1, .. jpeg.AsSpan(2)];
    }

    /// <summary>Rewrites the frame header (SOF0/SOF2) of a JPEG to claim <paramref name="width"/>×<paramref name="height"/>.</summary>
    public static byte[] WithJpegDimensions(byte[] jpeg, ushort width, ushort height)
    {
        var copy = (byte[])jpeg.Clone();
        for (var i = 2; i < copy.Length - 9; i++)
        {
            if (copy[i] == 0xFF && copy[i + 1] is 0xC0 or 0xC1 or 0xC2)
            {
                copy[i + 5] = (byte)(height >> 8);
                copy[i + 6] = (byte)height;
                copy[i + 7] = (byte)(width >> 8);
                copy[i + 8] = (byte)width;
                return copy;
            }
        }

        throw new InvalidOperationException("No SOF marker found.");
    }
}

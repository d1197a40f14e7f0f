using SkiaSharp;

namespace DryWet.Benchmarks.Serving;

/// <summary>Synthetic camera frames for the benchmark, encoded as JPEG quality 90.</summary>
internal static class BenchmarkImages
{
    /// <summary>A road-like frame: sky gradient, textured asphalt, lane markings. Compresses like a real photo.</summary>
    public static byte[] Road(int width, int height, int seed = 1)
    {
        var random = new Random(seed);
        using var bitmap = new SKBitmap(new SKImageInfo(width, height, SKColorType.Rgba8888, SKAlphaType.Opaque));
        var pixels = bitmap.GetPixelSpan();
        var horizon = height * 2 / 5;
        for (var y = 0; y < height; y++)
        {
            for (var x = 0; x < width; x++)
            {
                byte r, g, b;
                if (y < horizon)
                {
                    var t = (float)y / horizon;
                    (r, g, b) = ((byte)(90 + 80 * t), (byte)(140 + 60 * t), (byte)(220 - 20 * t));
                }
                else
                {
                    var grain = random.Next(-18, 19);
                    var lane = Math.Abs(x - width / 2) < width / 120 && (y / (height / 20)) % 2 == 0;
                    var baseGrey = lane ? 225 : 85 + (y - horizon) * 40 / (height - horizon);
                    r = g = b = (byte)Math.Clamp(baseGrey + grain, 0, 255);
                }

                var i = (y * width + x) * 4;
                pixels[i] = r;
                pixels[i + 1] = g;
                pixels[i + 2] = b;
                pixels[i + 3] = 255;
            }
        }

        return Encode(bitmap);
    }

    /// <summary>Worst case for JPEG decoding: per-pixel noise (≈685 KB at 1920×1080 q90).</summary>
    public static byte[] Noise(int width, int height, int seed = 7)
    {
        var random = new Random(seed);
        using var bitmap = new SKBitmap(new SKImageInfo(width, height, SKColorType.Rgba8888, SKAlphaType.Opaque));
        var pixels = bitmap.GetPixelSpan();
        for (var i = 0; i < pixels.Length; i += 4)
        {
            var p = i / 4;
            pixels[i] = (byte)((p % width / 8 * 5 + random.Next(40)) % 256);
            pixels[i + 1] = (byte)((p / width / 6 * 3 + random.Next(40)) % 256);
            pixels[i + 2] = (byte)random.Next(256);
            pixels[i + 3] = 255;
        }

        return Encode(bitmap);
    }

    private static byte[] Encode(SKBitmap bitmap)
    {
        using var image = SKImage.FromBitmap(bitmap);
        using var data = image.Encode(SKEncodedImageFormat.Jpeg, 90);
        return data.ToArray();
    }
}

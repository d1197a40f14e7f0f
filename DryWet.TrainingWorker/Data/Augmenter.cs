using DryWet.Core.Configuration;
using DryWet.Core.Imaging;

namespace DryWet.TrainingWorker.Data;

/// <summary>
/// The original's training augmentation, applied to the resized RGB image (the original ran it on PIL images):
/// RandomHorizontalFlip → RandomRotation → ColorJitter (brightness, contrast, saturation in random order) →
/// RandomAffine(degrees 0, translate, scale). Geometric steps use nearest-neighbour sampling and fill with black, as
/// torchvision's defaults do. All randomness comes from the <see cref="Random"/> passed in, so a (seed, epoch, index)
/// gives the same picture on any thread.
/// </summary>
public sealed class Augmenter(DryWetConfig.AugmentationSection options)
{
    public DecodedImage Apply(DecodedImage image, Random random)
    {
        var w = image.Width;
        var h = image.Height;
        var pixels = (byte[])image.Rgb.Clone();

        if (random.NextDouble() < options.HorizontalFlipProb)
        {
            FlipHorizontal(pixels, w, h);
        }

        if (options.RotationDegrees > 0)
        {
            var degrees = Uniform(random, -options.RotationDegrees, options.RotationDegrees);
            pixels = Warp(pixels, w, h, degrees * Math.PI / 180, 1, 0, 0);
        }

        ColorJitter(pixels, random);

        var (tx, ty) = (options.Translate[0] * w, options.Translate[1] * h);
        var dx = Math.Round(Uniform(random, -tx, tx));
        var dy = Math.Round(Uniform(random, -ty, ty));
        var scale = Uniform(random, options.Scale[0], options.Scale[1]);
        if (dx != 0 || dy != 0 || scale != 1)
        {
            pixels = Warp(pixels, w, h, 0, scale, dx, dy);
        }

        return new DecodedImage(w, h, pixels, image.SourceWidth, image.SourceHeight);
    }

    private void ColorJitter(byte[] pixels, Random random)
    {
        // torchvision draws each factor from [max(0, 1 - x), 1 + x] and applies the steps in a random order.
        var order = new[] { 0, 1, 2 };
        random.Shuffle(order);
        foreach (var step in order)
        {
            switch (step)
            {
                case 0 when options.BrightnessRange > 0:
                    Blend(pixels, Factor(random, options.BrightnessRange), _ => 0);
                    break;
                case 1 when options.ContrastRange > 0:
                    var factor = Factor(random, options.ContrastRange);
                    var mean = MeanGray(pixels);
                    Blend(pixels, factor, _ => mean);
                    break;
                case 2 when options.SaturationRange > 0:
                    BlendWithGray(pixels, Factor(random, options.SaturationRange));
                    break;
            }
        }
    }

    private static double Factor(Random random, double range) => Uniform(random, Math.Max(0, 1 - range), 1 + range);

    private static double Uniform(Random random, double min, double max) => min + random.NextDouble() * (max - min);

    /// <summary>PIL's ImageEnhance: out = degenerate + factor × (in − degenerate), clipped.</summary>
    private static void Blend(byte[] pixels, double factor, Func<int, double> degenerate)
    {
        for (var i = 0; i < pixels.Length; i++)
        {
            var d = degenerate(i);
            pixels[i] = ToByte(d + factor * (pixels[i] - d));
        }
    }

    private static void BlendWithGray(byte[] pixels, double factor)
    {
        for (var i = 0; i < pixels.Length; i += 3)
        {
            double gray = Luma(pixels[i], pixels[i + 1], pixels[i + 2]);
            pixels[i] = ToByte(gray + factor * (pixels[i] - gray));
            pixels[i + 1] = ToByte(gray + factor * (pixels[i + 1] - gray));
            pixels[i + 2] = ToByte(gray + factor * (pixels[i + 2] - gray));
        }
    }

    /// <summary>PIL's "L" conversion (ITU-R 601-2 luma), rounded to a byte.</summary>
    private static int Luma(byte r, byte g, byte b) => (r * 299 + g * 587 + b * 114 + 500) / 1000;

    private static double MeanGray(byte[] pixels)
    {
        long sum = 0;
        for (var i = 0; i < pixels.Length; i += 3)
        {
            sum += Luma(pixels[i], pixels[i + 1], pixels[i + 2]);
        }

        // PIL's ImageEnhance.Contrast rounds the mean to an integer.
        return Math.Floor(sum / (double)(pixels.Length / 3) + 0.5);
    }

    private static byte ToByte(double v) => (byte)Math.Clamp(Math.Round(v), 0, 255);

    private static void FlipHorizontal(byte[] pixels, int w, int h)
    {
        for (var y = 0; y < h; y++)
        {
            var row = y * w * 3;
            for (int left = 0, right = w - 1; left < right; left++, right--)
            {
                for (var c = 0; c < 3; c++)
                {
                    (pixels[row + left * 3 + c], pixels[row + right * 3 + c]) = (pixels[row + right * 3 + c], pixels[row + left * 3 + c]);
                }
            }
        }
    }

    /// <summary>
    /// Rotation by <paramref name="radians"/> (counter-clockwise, as torchvision) and scaling about the centre, then a
    /// translation, by inverse mapping with nearest-neighbour sampling; pixels from outside the image are black.
    /// </summary>
    private static byte[] Warp(byte[] src, int w, int h, double radians, double scale, double dx, double dy)
    {
        var dst = new byte[src.Length];
        var (cx, cy) = ((w - 1) * 0.5, (h - 1) * 0.5);
        var cos = Math.Cos(radians) / scale;
        var sin = Math.Sin(radians) / scale;
        for (var y = 0; y < h; y++)
        {
            var oy = y - cy - dy;
            for (var x = 0; x < w; x++)
            {
                var ox = x - cx - dx;
                // Inverse of a counter-clockwise rotation (image y axis points down).
                var sx = (int)Math.Round(cos * ox - sin * oy + cx);
                var sy = (int)Math.Round(sin * ox + cos * oy + cy);
                if ((uint)sx < (uint)w && (uint)sy < (uint)h)
                {
                    var s = (sy * w + sx) * 3;
                    var d = (y * w + x) * 3;
                    dst[d] = src[s];
                    dst[d + 1] = src[s + 1];
                    dst[d + 2] = src[s + 2];
                }
            }
        }

        return dst;
    }
}

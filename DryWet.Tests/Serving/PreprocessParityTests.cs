using DryWet.Core.Imaging;
using SkiaSharp;

namespace DryWet.Tests.Serving;

/// <summary>
/// The fast preprocessing path (pooled DCT-scaled decode, one-pass SIMD resize + orientation + normalization) against a
/// straightforward reference written here: Skia decodes at the same size into a bitmap, then every output pixel is a
/// direct 2-D double-precision sum of the Mitchell filter stretched over the reduction, rounded to 8 bits. Tolerance:
/// one 8-bit level per value (float vs double sums may round a .5 the other way), and under 0.05 levels on average.
/// Also: the trainer's path (decode to RGB, then ToTensor) and serving's (Preprocess) give the same floats, bit for bit.
/// </summary>
public sealed class PreprocessParityTests
{
    private static ImagePreprocessor Unit(int width, int height, JpegScales scales = JpegScales.Eighths) =>
        new(new PreprocessorOptions { Width = width, Height = height, Mean = [0, 0, 0], Std = [1, 1, 1], JpegScales = scales });

    [Theory]
    [InlineData(640, 480, 300, 300, (ushort)1)]
    [InlineData(1280, 720, 300, 300, (ushort)1)]
    [InlineData(1280, 720, 224, 224, (ushort)6)]
    [InlineData(500, 375, 64, 48, (ushort)3)]
    [InlineData(200, 150, 300, 300, (ushort)8)] // an enlargement
    [InlineData(64, 64, 64, 64, (ushort)1)] // the same size: the trainer's sample data at img_size 64
    [InlineData(64, 64, 32, 32, (ushort)1)]
    public void The_fast_path_matches_the_reference_within_one_level(int width, int height, int targetWidth, int targetHeight, ushort orientation)
    {
        var jpeg = TestImages.NoisyPhoto(width, height);
        if (orientation != 1)
        {
            jpeg = TestImages.WithExifOrientation(jpeg, orientation);
        }

        var preprocessor = Unit(targetWidth, targetHeight);
        var header = preprocessor.ReadHeader(jpeg);

        var fast = preprocessor.Preprocess(jpeg);
        var reference = Reference(jpeg, header, targetWidth, targetHeight);

        var differences = fast.Zip(reference, (a, b) => Math.Abs(a - b) * 255).ToArray();
        differences.Max().ShouldBeLessThanOrEqualTo(1.001f);
        differences.Average().ShouldBeLessThan(0.05f);
    }

    [Theory]
    [InlineData((ushort)1)]
    [InlineData((ushort)2)]
    [InlineData((ushort)5)]
    [InlineData((ushort)7)]
    public void Trainer_and_serving_tensors_are_identical(ushort orientation)
    {
        var jpeg = TestImages.WithExifOrientation(TestImages.NoisyPhoto(960, 540), orientation);
        var preprocessor = new ImagePreprocessor(new PreprocessorOptions { Width = 96, Height = 64 });

        var trainer = new float[preprocessor.TensorLength];
        preprocessor.ToTensor(preprocessor.Decode(jpeg), trainer);
        var serving = new float[preprocessor.TensorLength];
        preprocessor.Preprocess(jpeg, serving);

        serving.ShouldBe(trainer);
    }

    [Fact]
    public void Power_of_two_scales_decode_a_1080p_frame_at_a_half_for_300_px_and_stay_close_to_eighths()
    {
        var jpeg = TestImages.NoisyPhoto(1920, 1080);
        var eighths = Unit(300, 300);
        var powers = Unit(300, 300, JpegScales.PowersOfTwo);

        (eighths.ReadHeader(jpeg).DecodeWidth, eighths.ReadHeader(jpeg).DecodeHeight).ShouldBe((720, 405));
        (powers.ReadHeader(jpeg).DecodeWidth, powers.ReadHeader(jpeg).DecodeHeight).ShouldBe((960, 540));
        var meanAbs = eighths.Preprocess(jpeg).Zip(powers.Preprocess(jpeg), (a, b) => Math.Abs(a - b)).Average();
        meanAbs.ShouldBeLessThan(0.02f);
    }

    [Fact]
    public void Stage_timings_are_reported_and_add_up()
    {
        var preprocessor = Unit(300, 300);
        var tensor = new float[preprocessor.TensorLength];

        var timings = preprocessor.Preprocess(TestImages.NoisyPhoto(1280, 720), tensor);

        timings.Decode.ShouldBeGreaterThan(TimeSpan.Zero);
        timings.Resize.ShouldBeGreaterThan(TimeSpan.Zero);
        timings.Total.ShouldBe(timings.Header + timings.Decode + timings.Resize);
    }

    /// <summary>Skia decode at the planned size, then a direct 2-D filter per output pixel, EXIF orientation by coordinates.</summary>
    private static float[] Reference(byte[] encoded, ImageHeader header, int targetWidth, int targetHeight)
    {
        using var codec = SKCodec.Create(new MemoryStream(encoded));
        var info = new SKImageInfo(header.DecodeWidth, header.DecodeHeight, SKColorType.Rgba8888, SKAlphaType.Opaque);
        using var bitmap = new SKBitmap(info);
        codec.GetPixels(info, bitmap.GetPixels()).ShouldBe(SKCodecResult.Success);
        var pixels = bitmap.GetPixelSpan().ToArray();
        var (w, h) = (bitmap.Width, bitmap.Height);
        var swaps = codec.EncodedOrigin is SKEncodedOrigin.LeftTop or SKEncodedOrigin.RightTop or SKEncodedOrigin.RightBottom or SKEncodedOrigin.LeftBottom;
        var (encodedTargetWidth, encodedTargetHeight) = swaps ? (targetHeight, targetWidth) : (targetWidth, targetHeight);
        var plane = targetWidth * targetHeight;
        var result = new float[3 * plane];
        for (var ey = 0; ey < encodedTargetHeight; ey++)
        {
            var ys = Taps(h, encodedTargetHeight, ey);
            for (var ex = 0; ex < encodedTargetWidth; ex++)
            {
                var xs = Taps(w, encodedTargetWidth, ex);
                var (ox, oy) = Upright(codec.EncodedOrigin, ex, ey, targetWidth, targetHeight);
                for (var c = 0; c < 3; c++)
                {
                    double sum = 0, weight = 0;
                    foreach (var (y, wy) in ys)
                    {
                        foreach (var (x, wx) in xs)
                        {
                            sum += wx * wy * pixels[(y * w + x) * 4 + c];
                            weight += wx * wy;
                        }
                    }

                    result[c * plane + oy * targetWidth + ox] = (float)Math.Round(Math.Clamp(sum / weight, 0, 255), MidpointRounding.ToEven) / 255f;
                }
            }
        }

        return result;
    }

    /// <summary>Source pixels and Mitchell weights of output <paramref name="i"/>: the filter stretched by the reduction.</summary>
    private static List<(int Index, double Weight)> Taps(int source, int target, int i)
    {
        if (source == target)
        {
            return [(i, 1.0)];
        }

        var scale = (double)source / target;
        var stretch = Math.Max(1, scale);
        var center = (i + 0.5) * scale;
        var taps = new List<(int, double)>();
        for (var x = 0; x < source; x++)
        {
            var d = Math.Abs(x + 0.5 - center) / stretch;
            var k = d < 1 ? (7 * d * d * d - 12 * d * d + 16.0 / 3) / 6 : d < 2 ? (-7.0 / 3 * d * d * d + 12 * d * d - 20 * d + 32.0 / 3) / 6 : 0;
            if (k != 0)
            {
                taps.Add((x, k));
            }
        }

        return taps;
    }

    private static (int X, int Y) Upright(SKEncodedOrigin origin, int x, int y, int width, int height) => origin switch
    {
        SKEncodedOrigin.TopRight => (width - 1 - x, y),
        SKEncodedOrigin.BottomRight => (width - 1 - x, height - 1 - y),
        SKEncodedOrigin.BottomLeft => (x, height - 1 - y),
        SKEncodedOrigin.LeftTop => (y, x),
        SKEncodedOrigin.RightTop => (width - 1 - y, x),
        SKEncodedOrigin.RightBottom => (width - 1 - y, height - 1 - x),
        SKEncodedOrigin.LeftBottom => (y, height - 1 - x),
        _ => (x, y),
    };
}

using DryWet.Core.Imaging;
using SkiaSharp;

namespace DryWet.Tests.Serving;

/// <summary>
/// The system's TurboJPEG (libjpeg-turbo with its SIMD kernels, the default where it loads) and SkiaSharp's own
/// libjpeg-turbo (no SIMD in its x64 build) give the same pixels, so which one decodes changes speed, never a tensor:
/// a trainer on one machine and serving on another agree whichever they have. Checked byte for byte for chroma
/// subsamplings 4:4:4, 4:2:2 and 4:2:0, grayscale, sizes that end in partial blocks, every DCT scale the plan picks,
/// and an EXIF-rotated frame. <c>./test.sh</c> installs the library (Debian's <c>libturbojpeg0</c>); without it the
/// TurboJpeg choice refuses to start, so these tests fail rather than compare SkiaSharp with itself.
/// </summary>
public sealed class JpegDecoderParityTests
{
    public static TheoryData<string, int, int> Images() => new()
    {
        { "420", 1001, 803 },
        { "422", 640, 480 },
        { "444", 517, 333 },
        { "gray", 800, 600 },
        { "420", 1280, 720 },
    };

    [Theory]
    [MemberData(nameof(Images))]
    public void Both_decoders_give_identical_pixels_at_every_scale(string kind, int width, int height)
    {
        var jpeg = Encode(kind, width, height);
        // From the 1/8 decode up to a full one: the targets make the plan pick small, middle and full DCT scales.
        foreach (var target in new[] { 48, 100, 240, 380, 520, 640, 900 })
        {
            var (turbo, skia) = DecodeBoth(jpeg, target, target * height / width);
            turbo.SequenceEqual(skia).ShouldBeTrue($"{kind} {width}×{height} → {target}: {Differing(turbo, skia)} of {turbo.Length} bytes differ");
        }
    }

    [Fact]
    public void An_EXIF_rotated_frame_and_the_preprocessed_tensor_are_identical_too()
    {
        var jpeg = TestImages.WithExifOrientation(TestImages.NoisyPhoto(1280, 720), 6);
        var (turbo, skia) = DecodeBoth(jpeg, 300, 300);
        turbo.SequenceEqual(skia).ShouldBeTrue($"{Differing(turbo, skia)} of {turbo.Length} bytes differ");

        var options = new PreprocessorOptions { Width = 300, Height = 300 };
        var turboTensor = new ImagePreprocessor(new PreprocessorOptions { Width = 300, Height = 300, JpegDecoder = JpegDecoder.TurboJpeg }).Preprocess(jpeg);
        var skiaTensor = new ImagePreprocessor(new PreprocessorOptions { Width = 300, Height = 300, JpegDecoder = JpegDecoder.SkiaSharp }).Preprocess(jpeg);
        turboTensor.SequenceEqual(skiaTensor).ShouldBeTrue();
        new ImagePreprocessor(options).JpegDecoderName.ShouldContain("TurboJPEG", customMessage: "the default decodes with the system's TurboJPEG where it loads");
    }

    [Fact]
    public void A_truncated_JPEG_is_refused_alike_and_a_damaged_scan_is_recovered_alike()
    {
        var jpeg = TestImages.NoisyPhoto(640, 480);
        var truncated = jpeg[..(jpeg.Length / 2)];
        var turbo = Should.Throw<CorruptImageException>(() => Unit(JpegDecoder.TurboJpeg, 100, 75).Decode(truncated));
        var skia = Should.Throw<CorruptImageException>(() => Unit(JpegDecoder.SkiaSharp, 100, 75).Decode(truncated));
        turbo.Message.ShouldBe(skia.Message);
        turbo.Message.ShouldContain("truncated");

        // 64 bytes of the first scan overwritten with fill bytes: libjpeg warns, skips to the next marker and carries on;
        // both decoders deliver the same recovered image (and neither a 500 nor a crash).
        var damaged = (byte[])jpeg.Clone();
        damaged.AsSpan(IndexOfMarker(damaged, 0xDA) + 40, 64).Fill(0xFF);
        var (turboPixels, skiaPixels) = DecodeBoth(damaged, 100, 75);
        turboPixels.SequenceEqual(skiaPixels).ShouldBeTrue($"{Differing(turboPixels, skiaPixels)} of {turboPixels.Length} bytes differ");
        turboPixels.SequenceEqual(Unit(JpegDecoder.TurboJpeg, 100, 75).Decode(jpeg).Rgb).ShouldBeFalse("the damage shows");
    }

    private static ImagePreprocessor Unit(JpegDecoder decoder, int width, int height) =>
        new(new PreprocessorOptions { Width = width, Height = height, JpegDecoder = decoder });

    private static (byte[] Turbo, byte[] Skia) DecodeBoth(byte[] jpeg, int width, int height) =>
        (Unit(JpegDecoder.TurboJpeg, width, height).Decode(jpeg).Rgb, Unit(JpegDecoder.SkiaSharp, width, height).Decode(jpeg).Rgb);

    private static int Differing(byte[] a, byte[] b) => a.Zip(b).Count(p => p.First != p.Second);

    private static int IndexOfMarker(byte[] jpeg, byte marker)
    {
        for (var i = 2; i + 1 < jpeg.Length; i++)
        {
            if (jpeg[i] == 0xFF && jpeg[i + 1] == marker)
            {
                return i;
            }
        }

        throw new InvalidOperationException($"No 0xFF{marker:X2} marker.");
    }

    /// <summary>A textured, noisy photo-like frame as a quality-90 JPEG with the given chroma subsampling (or grayscale).</summary>
    private static byte[] Encode(string kind, int width, int height)
    {
        var random = new Random(11);
        var gray = kind == "gray";
        using var bitmap = new SKBitmap(new SKImageInfo(width, height, gray ? SKColorType.Gray8 : SKColorType.Rgba8888, SKAlphaType.Opaque));
        var pixels = bitmap.GetPixelSpan();
        var channels = gray ? 1 : 4;
        for (var y = 0; y < height; y++)
        {
            for (var x = 0; x < width; x++)
            {
                var i = (y * width + x) * channels;
                pixels[i] = (byte)((x / 7 * 5 + y / 3 + random.Next(48)) % 256);
                if (!gray)
                {
                    pixels[i + 1] = (byte)((y / 5 * 3 + random.Next(48)) % 256);
                    pixels[i + 2] = (byte)((x + y) / 9 * 7 % 256);
                    pixels[i + 3] = 255;
                }
            }
        }

        var downsample = kind switch
        {
            "444" => SKJpegEncoderDownsample.Downsample444,
            "422" => SKJpegEncoderDownsample.Downsample422,
            _ => SKJpegEncoderDownsample.Downsample420,
        };
        using var data = bitmap.PeekPixels().Encode(new SKJpegEncoderOptions(90, downsample, SKJpegEncoderAlphaOption.Ignore))
            ?? throw new InvalidOperationException("Skia cannot encode this JPEG.");
        return data.ToArray();
    }
}

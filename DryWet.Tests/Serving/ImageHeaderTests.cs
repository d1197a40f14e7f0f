using DryWet.Core.Imaging;
using SkiaSharp;

namespace DryWet.Tests.Serving;

/// <summary>
/// <see cref="ImagePreprocessor.ReadHeader"/>: the size, the size the image will really be decoded at, and the memory its
/// preprocessing holds, all read from the header before any pixel exists, with the same limits as decoding.
/// </summary>
public sealed class ImageHeaderTests
{
    private static ImagePreprocessor Preprocessor(long maxPixels = 40_000_000) =>
        new(new PreprocessorOptions { Width = 224, Height = 224, MaxPixels = maxPixels });

    [Fact]
    public void A_large_JPEG_is_planned_at_the_smallest_libjpeg_scale_still_covering_the_model_size()
    {
        var header = Preprocessor().ReadHeader(TestImages.NoisyPhoto(1920, 1080));

        (header.Format, header.Width, header.Height).ShouldBe(("JPEG", 1920, 1080));
        // 3/8 would be 720×405, 2/8 = 480×270 is the smallest with both sides ≥ 224.
        (header.DecodeWidth, header.DecodeHeight).ShouldBe((480, 270));
        // Pooled RGBA buffer (480 × 270 × 4 = 518,400 bytes → the pool's 512 KiB array), one float row, RGB target, the data.
        header.WorkingBytes.ShouldBe(512L * 1024 + 16_384 * 16 + 224L * 224 * 3 + header.EncodedBytes);
    }

    [Fact]
    public void A_PNG_is_planned_at_full_size_and_its_working_memory_is_the_pooled_decode_plus_a_row_the_target_and_data()
    {
        var png = TestImages.Solid(SKColors.Gray, size: 500);

        var header = Preprocessor().ReadHeader(png);

        (header.Format, header.DecodeWidth, header.DecodeHeight).ShouldBe(("PNG", 500, 500));
        header.WorkingBytes.ShouldBe(1024L * 1024 + 16_384 * 16 + 224L * 224 * 3 + png.Length); // 1,000,000 RGBA bytes → 1 MiB pooled
    }

    [Fact]
    public void An_EXIF_rotated_JPEG_reports_its_oriented_size()
    {
        var rotated = TestImages.WithExifOrientation(TestImages.Road(wet: true, width: 64, height: 48), 6);

        var header = Preprocessor().ReadHeader(rotated);

        (header.Width, header.Height).ShouldBe((48, 64));
    }

    [Fact]
    public void A_header_over_the_pixel_limit_is_refused_before_anything_is_decoded()
    {
        var bomb = TestImages.WithJpegDimensions(TestImages.Road(wet: false), 8000, 8000);

        var error = Should.Throw<ImageTooLargeException>(() => Preprocessor().ReadHeader(bomb));

        (error.Width, error.Height).ShouldBe((8000, 8000));
        error.Message.ShouldContain("40,000,000");
    }
}

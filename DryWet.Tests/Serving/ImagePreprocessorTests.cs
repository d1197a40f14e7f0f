using DryWet.Core;
using DryWet.Core.Configuration;
using DryWet.Core.Imaging;
using SkiaSharp;

namespace DryWet.Tests.Serving;

public class ImagePreprocessorTests
{
    // Mean 0, std 1: tensor values are the [0, 1]-scaled pixel values.
    private static ImagePreprocessor Identity(int width = 8, int height = 8) =>
        new(new PreprocessorOptions { Width = width, Height = height, Mean = [0, 0, 0], Std = [1, 1, 1] });

    private static (float R, float G, float B) At(float[] chw, int width, int height, int x, int y)
    {
        var plane = width * height;
        var i = y * width + x;
        return (chw[i], chw[plane + i], chw[2 * plane + i]);
    }

    [Theory]
    [InlineData(255, 0, 0)]
    [InlineData(0, 255, 0)]
    [InlineData(0, 0, 255)]
    public void Pure_colours_land_in_the_right_channel_plane(byte r, byte g, byte b)
    {
        var tensor = Identity().Preprocess(TestImages.Solid(new SKColor(r, g, b)));

        tensor.Length.ShouldBe(3 * 8 * 8);
        tensor[..64].ShouldAllBe(v => v == r / 255f);
        tensor[64..128].ShouldAllBe(v => v == g / 255f);
        tensor[128..].ShouldAllBe(v => v == b / 255f);
    }

    [Fact]
    public void Known_pixels_give_the_torchvision_normalized_values()
    {
        // 2×2 image at its own size: ToTensor (x / 255) then Normalize ((x - mean) / std), ImageNet statistics.
        SKColor[] pixels = [new(10, 20, 30), new(200, 100, 50), new(0, 128, 255), new(255, 255, 255)];
        var png = TestImages.Encode(2, 2, (x, y) => pixels[y * 2 + x]);
        var preprocessor = new ImagePreprocessor(PreprocessorOptions.FromConfig(DryWetConfig.Default, 2, 2));

        var tensor = preprocessor.Preprocess(png);

        float[] mean = [0.485f, 0.456f, 0.406f], std = [0.229f, 0.224f, 0.225f];
        for (var p = 0; p < 4; p++)
        {
            byte[] rgb = [pixels[p].Red, pixels[p].Green, pixels[p].Blue];
            for (var c = 0; c < 3; c++)
            {
                tensor[c * 4 + p].ShouldBe((rgb[c] / 255f - mean[c]) / std[c], 1e-6f, $"pixel {p} channel {c}");
            }
        }
    }

    [Fact]
    public void Decode_then_ToTensor_equals_Preprocess_exactly()
    {
        var preprocessor = new ImagePreprocessor(new PreprocessorOptions { Width = 30, Height = 20 });
        var jpeg = TestImages.NoisyPhoto(320, 240);

        var viaDecode = new float[preprocessor.TensorLength];
        var decoded = preprocessor.Decode(jpeg);
        preprocessor.ToTensor(decoded, viaDecode);

        decoded.Width.ShouldBe(30);
        decoded.Height.ShouldBe(20);
        (decoded.SourceWidth, decoded.SourceHeight).ShouldBe((320, 240));
        preprocessor.Preprocess(jpeg).ShouldBe(viaDecode);
    }

    [Fact]
    public void Resize_is_exact_to_width_by_height_without_crop()
    {
        // Left quarter red, rest green, 400×100 → 40×40: the red quarter stays the left quarter (no centre crop).
        var png = TestImages.Encode(400, 100, (x, _) => x < 100 ? SKColors.Red : SKColors.Lime);
        var tensor = Identity(40, 40).Preprocess(png);

        At(tensor, 40, 40, 4, 20).R.ShouldBe(1f, 0.02f);
        At(tensor, 40, 40, 30, 20).G.ShouldBe(1f, 0.02f);
        At(tensor, 40, 40, 30, 20).R.ShouldBe(0f, 0.02f);
    }

    [Theory]
    [InlineData((ushort)1, "red", "blue", 16, 8)]  // as stored: left red, right blue
    [InlineData((ushort)3, "blue", "red", 16, 8)]  // rotated 180°
    [InlineData((ushort)6, "red", "blue", 8, 16)]  // rotate 90° clockwise: left edge becomes the top
    [InlineData((ushort)8, "blue", "red", 8, 16)]  // rotate 90° counter-clockwise: right edge becomes the top
    public void Exif_orientation_is_applied(ushort orientation, string first, string second, int width, int height)
    {
        var jpeg = TestImages.Encode(64, 32, (x, _) => x < 32 ? SKColors.Red : SKColors.Blue, SKEncodedImageFormat.Jpeg, 100);
        var tagged = TestImages.WithExifOrientation(jpeg, orientation);
        var preprocessor = Identity(width, height);

        var decoded = preprocessor.Decode(tagged);
        var tensor = new float[preprocessor.TensorLength];
        preprocessor.ToTensor(decoded, tensor);

        (decoded.SourceWidth, decoded.SourceHeight).ShouldBe(width > height ? (64, 32) : (32, 64));
        // Sample the middle of the first and second half along the long axis.
        var a = width > height ? At(tensor, width, height, 3, 4) : At(tensor, width, height, 4, 3);
        var b = width > height ? At(tensor, width, height, 12, 4) : At(tensor, width, height, 4, 12);
        Colour(a).ShouldBe(first);
        Colour(b).ShouldBe(second);
    }

    private static string Colour((float R, float G, float B) p) => p.R > 0.7f && p.B < 0.3f ? "red" : p.B > 0.7f && p.R < 0.3f ? "blue" : $"mixed {p}";

    [Fact]
    public void Png_webp_bmp_gif_and_jpeg_all_decode()
    {
        var orange = new SKColor(255, 128, 0);
        var preprocessor = Identity(4, 4);
        var images = new Dictionary<string, byte[]>
        {
            ["png"] = TestImages.Solid(orange),
            ["jpeg"] = TestImages.Solid(orange, format: SKEncodedImageFormat.Jpeg),
            ["webp"] = TestImages.Encode(16, 16, (_, _) => orange, SKEncodedImageFormat.Webp, 100),
            ["bmp"] = TestImages.Bmp(5, 3, (_, _) => orange),
            ["gif"] = TestImages.Gif1x1(orange),
        };

        foreach (var (name, bytes) in images)
        {
            var (r, g, b) = At(preprocessor.Preprocess(bytes), 4, 4, 2, 2);
            r.ShouldBe(1f, 0.03f, name);
            g.ShouldBe(128 / 255f, 0.03f, name);
            b.ShouldBe(0f, 0.03f, name);
        }
    }

    [Fact]
    public void Alpha_is_dropped_keeping_the_stored_colour()
    {
        // Half-transparent green: PIL's convert("RGB") keeps (0, 255, 0), it does not blend with a background.
        var png = TestImages.Solid(new SKColor(0, 255, 0, 128));
        var (r, g, b) = At(Identity(4, 4).Preprocess(png), 4, 4, 1, 1);
        (r, g, b).ShouldBe((0f, 1f, 0f));
    }

    [Fact]
    public void Large_jpeg_is_decoded_at_reduced_scale_with_the_same_result_as_full_decode()
    {
        var jpeg = TestImages.Encode(1600, 1200, (x, y) => new SKColor((byte)(x / 7), (byte)(y / 5), 128), SKEncodedImageFormat.Jpeg, 92);
        var scaled = new ImagePreprocessor(new PreprocessorOptions { Width = 100, Height = 100, Mean = [0, 0, 0], Std = [1, 1, 1] });
        var full = new ImagePreprocessor(new PreprocessorOptions { Width = 100, Height = 100, Mean = [0, 0, 0], Std = [1, 1, 1], ScaledJpegDecoding = false });

        var a = scaled.Preprocess(jpeg);
        var b = full.Preprocess(jpeg);

        var meanAbsDiff = a.Zip(b, (p, q) => Math.Abs(p - q)).Average();
        meanAbsDiff.ShouldBeLessThan(0.01f); // under 3 grey levels on average: a smooth gradient survives DCT scaling
    }

    [Fact]
    public void Empty_input_is_refused()
        => Should.Throw<EmptyImageException>(() => Identity().Preprocess([])).ShouldBeAssignableTo<DryWetException>();

    [Fact]
    public void Text_is_refused_as_unsupported_with_its_first_bytes_in_the_message()
    {
        var ex = Should.Throw<UnsupportedImageFormatException>(() => Identity().Preprocess("hello, this is not an image"u8));
        ex.Message.ShouldContain("\"hello, t\"");
    }

    [Fact]
    public void Truncated_jpeg_is_refused_as_corrupt()
    {
        var jpeg = TestImages.Road(wet: true, 256, 256);
        Should.Throw<CorruptImageException>(() => Identity().Preprocess(jpeg.AsSpan(0, jpeg.Length / 2)))
            .Message.ShouldContain("truncated");
    }

    [Fact]
    public void Truncated_png_header_is_refused_as_corrupt()
        => Should.Throw<CorruptImageException>(() => Identity().Preprocess(TestImages.Solid(SKColors.Red).AsSpan(0, 20)));

    [Fact]
    public void A_60000_by_60000_header_is_refused_before_decoding_with_the_dimensions_in_the_message()
    {
        var bomb = TestImages.WithJpegDimensions(TestImages.Road(wet: false), 60000, 60000);
        var ex = Should.Throw<ImageTooLargeException>(() => Identity().Preprocess(bomb));
        (ex.Width, ex.Height).ShouldBe((60000, 60000));
        ex.Message.ShouldContain("60000×60000");
    }

    [Fact]
    public void Options_from_config_prefer_the_model_size_and_validate_normalization()
    {
        var config = DryWetConfig.Parse("training:\n  img_size: 300\nnormalization:\n  mean: [0.5, 0.5, 0.5]\n  std: [0.25, 0.25, 0.25]\n");
        var fromModel = PreprocessorOptions.FromConfig(config, modelHeight: 64, modelWidth: 96);
        (fromModel.Width, fromModel.Height).ShouldBe((96, 64));
        var fromConfig = PreprocessorOptions.FromConfig(config);
        (fromConfig.Width, fromConfig.Height, fromConfig.Mean[0], fromConfig.Std[2]).ShouldBe((300, 300, 0.5f, 0.25f));

        Should.Throw<DryWetException>(() => new ImagePreprocessor(new PreprocessorOptions { Std = [1, 0, 1] }));
    }
}

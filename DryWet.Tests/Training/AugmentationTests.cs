using DryWet.Core.Configuration;
using DryWet.Core.Imaging;
using DryWet.TrainingWorker.Data;

namespace DryWet.Tests.Training;

public sealed class AugmentationTests
{
    private static DecodedImage Gradient(int size = 32)
    {
        var rgb = new byte[size * size * 3];
        for (var y = 0; y < size; y++)
        {
            for (var x = 0; x < size; x++)
            {
                var i = (y * size + x) * 3;
                rgb[i] = (byte)(x * 255 / (size - 1));
                rgb[i + 1] = (byte)(y * 255 / (size - 1));
                rgb[i + 2] = 128;
            }
        }

        return new DecodedImage(size, size, rgb);
    }

    private static DryWetConfig.AugmentationSection None() => new()
    {
        HorizontalFlipProb = 0, RotationDegrees = 0, BrightnessRange = 0, ContrastRange = 0, SaturationRange = 0,
        Translate = [0, 0], Scale = [1, 1],
    };

    [Fact]
    public void Same_random_seed_gives_the_same_augmented_pixels()
    {
        var augmenter = new Augmenter(new DryWetConfig().Augmentation);
        var image = Gradient();
        var a = augmenter.Apply(image, new Random(5)).Rgb;
        var b = augmenter.Apply(image, new Random(5)).Rgb;
        var c = augmenter.Apply(image, new Random(6)).Rgb;
        a.ShouldBe(b);
        a.ShouldNotBe(c);
        image.Rgb.ShouldBe(Gradient().Rgb, "the input is not modified");
    }

    [Fact]
    public void With_every_range_at_zero_the_image_is_unchanged()
    {
        var image = Gradient();
        new Augmenter(None()).Apply(image, new Random(1)).Rgb.ShouldBe(image.Rgb);
    }

    [Fact]
    public void Flip_probability_one_mirrors_the_image()
    {
        var options = None();
        options.HorizontalFlipProb = 1;
        var image = Gradient();
        var flipped = new Augmenter(options).Apply(image, new Random(1));
        flipped.Rgb[0].ShouldBe(image.Rgb[(image.Width - 1) * 3], "left edge red = old right edge red");
    }

    [Fact]
    public void Brightness_factors_stay_within_the_configured_range()
    {
        var options = None();
        options.BrightnessRange = 0.2;
        var uniform = new DecodedImage(8, 8, Enumerable.Repeat((byte)100, 8 * 8 * 3).ToArray());
        var augmenter = new Augmenter(options);
        var values = Enumerable.Range(0, 200).Select(s => (int)augmenter.Apply(uniform, new Random(s)).Rgb[0]).ToArray();
        values.Min().ShouldBeGreaterThanOrEqualTo(80);
        values.Max().ShouldBeLessThanOrEqualTo(120);
        (values.Max() - values.Min()).ShouldBeGreaterThan(25, "the factor actually varies across [0.8, 1.2]");
    }

    [Fact]
    public void Saturation_zero_factor_range_one_can_turn_pixels_gray_and_contrast_keeps_the_mean()
    {
        var options = None();
        options.SaturationRange = 1;
        var augmenter = new Augmenter(options);
        var colourful = Gradient(16);
        var grayish = Enumerable.Range(0, 100).Select(s => augmenter.Apply(colourful, new Random(s)))
            .Any(img => Math.Abs(img.Rgb[30] - img.Rgb[31]) <= 2 && Math.Abs(img.Rgb[31] - img.Rgb[32]) <= 2);
        grayish.ShouldBeTrue("a factor near 0 removes colour");
    }

    [Fact]
    public void Translation_and_scale_move_content_and_fill_with_black()
    {
        var options = None();
        options.Translate = [0.5, 0.5];
        options.Scale = [0.5, 0.6];
        var white = new DecodedImage(16, 16, Enumerable.Repeat((byte)255, 16 * 16 * 3).ToArray());
        var augmented = new Augmenter(options).Apply(white, new Random(3));
        augmented.Rgb.Count(b => b == 0).ShouldBeGreaterThan(16 * 16 * 3 / 2, "a 0.5-0.6 scale leaves most of the frame black");
        augmented.Rgb.ShouldContain((byte)255);
    }

    [Fact]
    public void Rotation_keeps_the_centre_and_blackens_corners()
    {
        var options = None();
        options.RotationDegrees = 45;
        var white = new DecodedImage(21, 21, Enumerable.Repeat((byte)255, 21 * 21 * 3).ToArray());
        var augmenter = new Augmenter(options);
        var rotated = Enumerable.Range(0, 20).Select(s => augmenter.Apply(white, new Random(s))).ToArray();
        rotated.ShouldAllBe(r => r.Rgb[(10 * 21 + 10) * 3] == 255);
        rotated.Count(r => r.Rgb[0] == 0).ShouldBeGreaterThan(5, "large angles rotate a corner out of the frame");
    }
}

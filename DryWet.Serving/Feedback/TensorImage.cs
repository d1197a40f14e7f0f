using DryWet.Core.Imaging;
using SkiaSharp;

namespace DryWet.Serving.Feedback;

/// <summary>The picture a preprocessed tensor holds: an OIP FP32 input is logged as this PNG, so a reviewer sees what the model saw.</summary>
internal static class TensorImage
{
    /// <summary>Undoes the normalization ((v − mean) / std, v in 0–1) of a CHW RGB tensor and encodes it as a PNG.</summary>
    public static byte[] ToPng(ReadOnlySpan<float> chw, PreprocessorOptions options)
    {
        var (width, height) = (options.Width, options.Height);
        var plane = width * height;
        using var bitmap = new SKBitmap(new SKImageInfo(width, height, SKColorType.Rgba8888, SKAlphaType.Opaque));
        var target = bitmap.GetPixelSpan();
        for (var i = 0; i < plane; i++)
        {
            for (var c = 0; c < 3; c++)
            {
                var v = chw[c * plane + i] * options.Std[c] + options.Mean[c];
                target[i * 4 + c] = (byte)Math.Clamp(MathF.Round(v * 255f), 0f, 255f);
            }

            target[i * 4 + 3] = 255;
        }

        using var data = bitmap.Encode(SKEncodedImageFormat.Png, 100);
        return data.ToArray();
    }
}

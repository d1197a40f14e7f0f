using System.Numerics;

namespace DryWet.Serving.Telemetry;

/// <summary>
/// A cheap input statistic for drift: the mean luma of the image the model saw, read back from its normalized
/// tensor (one vectorized pass over 3 × H × W floats, no second decode). A camera at night, a lens covered in spray
/// or a new source shifts it before accuracy can be measured.
/// </summary>
internal static class InputBrightness
{
    // Rec. 601 luma weights for R, G, B.
    private static readonly float[] LumaWeights = [0.299f, 0.587f, 0.114f];

    /// <summary>Mean luma in 0–1 of a CHW RGB tensor normalized as (v − mean) / std.</summary>
    public static double Of(ReadOnlySpan<float> chw, IReadOnlyList<float> mean, IReadOnlyList<float> std)
    {
        var plane = chw.Length / 3;
        if (plane == 0)
        {
            return 0;
        }

        double luma = 0;
        for (var c = 0; c < 3; c++)
        {
            var channelMean = Sum(chw.Slice(c * plane, plane)) / plane * std[c] + mean[c];
            luma += LumaWeights[c] * channelMean;
        }

        return Math.Clamp(luma, 0, 1);
    }

    private static double Sum(ReadOnlySpan<float> values)
    {
        var width = Vector<float>.Count;
        var accumulator = Vector<float>.Zero;
        var i = 0;
        for (; i <= values.Length - width; i += width)
        {
            accumulator += new Vector<float>(values.Slice(i, width));
        }

        double sum = Vector.Sum(accumulator);
        for (; i < values.Length; i++)
        {
            sum += values[i];
        }

        return sum;
    }
}

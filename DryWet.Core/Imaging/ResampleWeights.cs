namespace DryWet.Core.Imaging;

/// <summary>
/// The 1-D filter taps of one resize axis, PIL-style: for a reduction the filter is stretched by the reduction factor
/// (every source pixel contributes, no aliasing), weights are normalized to sum 1 (edges renormalize), and an axis
/// that keeps its size copies pixels (one tap of weight 1). Every output has exactly <see cref="Taps"/> weights
/// starting at <see cref="Start"/>[i] (zero-padded), so the inner loops have a fixed length.
/// </summary>
internal sealed class ResampleWeights
{
    private ResampleWeights(int taps, int[] start, float[] weights)
    {
        Taps = taps;
        Start = start;
        Weights = weights;
    }

    public int Taps { get; }

    /// <summary>First source index of output i.</summary>
    public int[] Start { get; }

    /// <summary>Weights of output i at [i × Taps, (i + 1) × Taps).</summary>
    public float[] Weights { get; }

    public static ResampleWeights Create(int sourceLength, int targetLength, Resampler resampler)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(sourceLength, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(targetLength, 1);
        if (sourceLength == targetLength)
        {
            return new ResampleWeights(1, [.. Enumerable.Range(0, targetLength)], [.. Enumerable.Repeat(1f, targetLength)]);
        }

        var scale = (double)sourceLength / targetLength;
        var filterScale = Math.Max(scale, 1.0);
        var support = Support(resampler) * filterScale;
        var taps = Math.Min(sourceLength, (int)Math.Ceiling(support) * 2 + 1);
        var start = new int[targetLength];
        var weights = new float[targetLength * taps];
        var row = new double[taps];
        for (var i = 0; i < targetLength; i++)
        {
            var center = (i + 0.5) * scale;
            var low = Math.Max(0, (int)Math.Floor(center - support + 0.5));
            var high = Math.Min(sourceLength, (int)Math.Floor(center + support + 0.5));
            var first = Math.Max(0, Math.Min(low, sourceLength - taps));
            Array.Clear(row);
            var sum = 0.0;
            for (var x = low; x < high && x - first < taps; x++)
            {
                var w = Kernel(resampler, (x + 0.5 - center) / filterScale);
                row[x - first] = w;
                sum += w;
            }

            if (sum == 0)
            {
                // Cannot happen for these kernels (positive at their centre); nearest pixel as a safe fallback.
                row[Math.Clamp((int)center, first, first + taps - 1) - first] = sum = 1;
            }

            start[i] = first;
            for (var t = 0; t < taps; t++)
            {
                weights[i * taps + t] = (float)(row[t] / sum);
            }
        }

        return new ResampleWeights(taps, start, weights);
    }

    private static double Support(Resampler resampler) => resampler == Resampler.Bilinear ? 1.0 : 2.0;

    /// <summary>The filter at distance <paramref name="x"/> (in source pixels of an enlargement).</summary>
    internal static double Kernel(Resampler resampler, double x)
    {
        x = Math.Abs(x);
        return resampler switch
        {
            Resampler.Bilinear => x < 1 ? 1 - x : 0,
            Resampler.CatmullRom => Cubic(x, 0, 0.5),
            _ => Cubic(x, 1.0 / 3, 1.0 / 3),
        };
    }

    /// <summary>Mitchell–Netravali cubic with parameters B and C.</summary>
    private static double Cubic(double x, double b, double c)
    {
        if (x < 1)
        {
            return ((12 - 9 * b - 6 * c) * x * x * x + (-18 + 12 * b + 6 * c) * x * x + (6 - 2 * b)) / 6;
        }

        return x < 2
            ? ((-b - 6 * c) * x * x * x + (6 * b + 30 * c) * x * x + (-12 * b - 48 * c) * x + (8 * b + 24 * c)) / 6
            : 0;
    }
}

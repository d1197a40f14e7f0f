namespace DryWet.TrainingWorker.Export;

/// <summary>The smallest and largest value one activation tensor took over the calibration images.</summary>
public readonly record struct TensorRange(float Min, float Max)
{
    public static TensorRange Empty => new(float.PositiveInfinity, float.NegativeInfinity);

    public TensorRange Include(ReadOnlySpan<float> values)
    {
        var (min, max) = (Min, Max);
        foreach (var v in values)
        {
            if (float.IsFinite(v))
            {
                min = Math.Min(min, v);
                max = Math.Max(max, v);
            }
        }

        return new TensorRange(min, max);
    }

    /// <summary>
    /// Asymmetric uint8 parameters (scale, zero point) for this range widened to include 0, as ONNX's QuantizeLinear
    /// needs (0 must be exact: zero padding). An empty or single-point range gets scale 1.
    /// </summary>
    public (float Scale, byte ZeroPoint) Uint8()
    {
        var low = Math.Min(float.IsFinite(Min) ? Min : 0f, 0f);
        var high = Math.Max(float.IsFinite(Max) ? Max : 0f, 0f);
        if (high - low <= 0)
        {
            return (1f, 0);
        }

        var scale = (high - low) / 255f;
        var zeroPoint = Math.Clamp((int)MathF.Round(-low / scale), 0, 255);
        return (scale, (byte)zeroPoint);
    }
}

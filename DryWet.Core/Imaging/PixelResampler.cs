using System.Buffers;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace DryWet.Core.Imaging;

/// <summary>
/// Resizes decoded RGBA_8888 pixels and hands every finished pixel to a writer, in one streaming pass: for each output
/// row, the vertical filter blends the source rows it needs into one float row (AVX2, 16 bytes a step), then the
/// horizontal filter makes each output pixel from that row (one 4-float vector per tap: R, G, B and the ignored alpha
/// lane together), rounds and clamps it to 8 bits, and the writer stores it at its EXIF-oriented place. The only
/// buffer is that one pooled float row; the decoded pixels are read once per vertical tap. Every lane runs the same
/// operations in the same order (multiply, then add; no fused multiply-add), so the result does not depend on the
/// instruction set.
/// </summary>
internal static class PixelResampler
{
    /// <param name="rgba">Decoded pixels, <paramref name="sourceWidth"/> × <paramref name="sourceHeight"/> × 4 bytes.</param>
    /// <param name="horizontal">Taps from the source width to the output width (both in the encoded frame).</param>
    /// <param name="vertical">Taps from the source height to the output height (encoded frame).</param>
    public static void Resample<TWriter>(ReadOnlySpan<byte> rgba, int sourceWidth, int sourceHeight, ResampleWeights horizontal,
        ResampleWeights vertical, OrientationMap map, ref TWriter writer)
        where TWriter : IPixelWriter, allows ref struct
    {
        var rowLength = sourceWidth * 4;
        if (rgba.Length < rowLength * sourceHeight)
        {
            throw new ArgumentException($"{rgba.Length} bytes hold no {sourceWidth}×{sourceHeight} RGBA image.", nameof(rgba));
        }

        var row = ArrayPool<float>.Shared.Rent(rowLength);
        try
        {
            for (var y = 0; y < vertical.Start.Length; y++)
            {
                BlendRows(rgba, rowLength, vertical.Start[y], vertical.Weights.AsSpan(y * vertical.Taps, vertical.Taps), row);
                FilterRow(row, horizontal, map.RowBase(y), map.Step, ref writer);
            }
        }
        finally
        {
            ArrayPool<float>.Shared.Return(row);
        }
    }

    /// <summary>row[i] = Σₜ weights[t] × source[(first + t) × rowLength + i], for every byte of a row.</summary>
    private static void BlendRows(ReadOnlySpan<byte> rgba, int rowLength, int first, ReadOnlySpan<float> weights, float[] row)
    {
        ref var source = ref Unsafe.AsRef(in rgba[first * rowLength]);
        ref var target = ref row[0];
        var i = 0;
        if (Avx2.IsSupported)
        {
            for (; i + 16 <= rowLength; i += 16)
            {
                var low = Vector256<float>.Zero;
                var high = Vector256<float>.Zero;
                for (var t = 0; t < weights.Length; t++)
                {
                    var bytes = Vector128.LoadUnsafe(ref source, (nuint)(t * rowLength + i));
                    var w = Vector256.Create(weights[t]);
                    low += Avx.ConvertToVector256Single(Avx2.ConvertToVector256Int32(bytes)) * w;
                    high += Avx.ConvertToVector256Single(Avx2.ConvertToVector256Int32(Sse2.ShiftRightLogical128BitLane(bytes, 8))) * w;
                }

                low.StoreUnsafe(ref target, (nuint)i);
                high.StoreUnsafe(ref target, (nuint)(i + 8));
            }
        }

        for (; i < rowLength; i++)
        {
            var sum = 0f;
            for (var t = 0; t < weights.Length; t++)
            {
                sum += Unsafe.Add(ref source, t * rowLength + i) * weights[t];
            }

            Unsafe.Add(ref target, i) = sum;
        }
    }

    /// <summary>Each output pixel of the row: Σₜ weight × RGBA vector, rounded and clamped to 0–255, to the writer.</summary>
    private static void FilterRow<TWriter>(float[] row, ResampleWeights horizontal, int rowBase, int step, ref TWriter writer)
        where TWriter : IPixelWriter, allows ref struct
    {
        ref var pixels = ref row[0];
        var taps = horizontal.Taps;
        ref var weight = ref horizontal.Weights[0];
        var starts = horizontal.Start;
        var max = Vector128.Create(255f);
        var index = rowBase;
        for (var x = 0; x < starts.Length; x++, index += step)
        {
            var at = (nuint)(starts[x] * 4);
            var sum = Vector128<float>.Zero;
            for (var t = 0; t < taps; t++, at += 4)
            {
                // Weights are [x × taps, (x + 1) × taps): the arrays were sized together in ResampleWeights.Create.
                sum += Vector128.LoadUnsafe(ref pixels, at) * Vector128.Create(Unsafe.Add(ref weight, x * taps + t));
            }

            var rounded = Vector128.ConvertToInt32(Vector128.Round(Vector128.Min(Vector128.Max(sum, Vector128<float>.Zero), max)));
            writer.Write(index, rounded.GetElement(0), rounded.GetElement(1), rounded.GetElement(2));
        }
    }
}

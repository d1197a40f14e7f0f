using System.Globalization;
using DryWet.Core.Packaging;

namespace DryWet.TrainingWorker.Promotion;

/// <summary>
/// The challenger's INT8 graph against its own fp32 graph, both evaluated as served on the same images: INT8 may serve
/// only when it loses at most <c>evaluation.max_quantization_drop</c> of overall accuracy.
/// </summary>
public sealed record QuantizationCheck(PackageAccuracy Fp32, PackageAccuracy Int8, double MaxDrop)
{
    /// <summary>fp32 − INT8 overall accuracy (negative when INT8 did better).</summary>
    public double Drop => Fp32.Overall - Int8.Overall;

    public bool Vouched => Drop <= MaxDrop + 1e-9;

    public string Verdict => Int8Verdict.Of(Vouched);

    public string Reason => string.Create(CultureInfo.InvariantCulture,
        $"INT8 {Int8.Overall:F4} vs fp32 {Fp32.Overall:F4} on {Int8.Images} images: drop {Drop:F4} {(Vouched ? "within" : "beyond")} evaluation.max_quantization_drop {MaxDrop:F4}");
}

using DryWet.Core;
using DryWet.Core.Packaging;

namespace DryWet.Serving.Inference;

/// <summary>
/// Which of a package's graphs serving runs, from <c>Model:Precision</c>: <c>auto</c> (default) runs the INT8 graph
/// only when the promotion gate vouched for it (the registry version's tag <c>drywet.int8</c>, else the package's
/// MLmodel <c>metadata.int8_gate</c>) and it is also clearly faster than fp32 on this machine (<see cref="NeedsSpeedCheck"/>,
/// settled by <see cref="Int8SpeedCheck"/>), else fp32; <c>fp32</c> always the float graph; <c>int8</c> the INT8 graph
/// even unvouched (logged as such), failing to load when the package has none. The reason is logged and shown.
/// </summary>
internal sealed record PrecisionChoice(ModelPrecision Precision, string OnnxPath, string Reason)
{
    public const string Names = "auto, fp32 or int8";

    public string Name => Precision.ToString().ToLowerInvariant();

    /// <summary>
    /// True for <c>auto</c> with a vouched INT8 graph: not a final choice yet; <see cref="Int8SpeedCheck"/> serves INT8
    /// only when its load-time throughput beats fp32's by <see cref="Int8SpeedCheck.MinSpeedup"/>.
    /// </summary>
    public bool NeedsSpeedCheck { get; init; }

    /// <param name="registryVerdict">The registry version's <see cref="Int8Verdict.Tag"/>; null for a local package or an untagged version.</param>
    public static PrecisionChoice Resolve(string? setting, ModelPackage package, string? registryVerdict)
    {
        var verdict = registryVerdict ?? package.Int8Gate;
        var vouched = verdict == Int8Verdict.Vouched;
        var judged = vouched ? "vouched for by the promotion gate"
            : verdict == Int8Verdict.Refused ? "refused by the promotion gate (accuracy drop beyond evaluation.max_quantization_drop)"
            : "not judged by any promotion gate";
        switch (setting?.Trim().ToLowerInvariant())
        {
            case "fp32":
                return new(ModelPrecision.Fp32, package.OnnxPath, "Model:Precision = fp32");
            case "int8":
                return package.Int8OnnxPath is { } int8
                    ? new(ModelPrecision.Int8, int8, $"Model:Precision = int8; the INT8 graph is {judged}")
                    : throw new DryWetException($"Model:Precision = int8, but the package {package.Directory} has no INT8 graph (MLmodel metadata.int8): retrain it with this DryWet, or set Model:Precision to auto or fp32.");
            case null or "" or "auto":
                if (package.Int8OnnxPath is null)
                {
                    return new(ModelPrecision.Fp32, package.OnnxPath, "auto: the package has no INT8 graph");
                }

                return vouched
                    ? new(ModelPrecision.Int8, package.Int8OnnxPath, $"auto: the INT8 graph is {judged}") { NeedsSpeedCheck = true }
                    : new(ModelPrecision.Fp32, package.OnnxPath, $"auto: the INT8 graph is {judged}");
            default:
                throw new DryWetException($"Model:Precision = '{setting}' is not valid: use {Names}.");
        }
    }
}

namespace DryWet.TrainingWorker.Model;

/// <summary>
/// One member of the EfficientNet family: torchvision's compound-scaling multipliers and BatchNorm settings
/// (torchvision/models/efficientnet.py, <c>_efficientnet_conf</c> and the <c>efficientnet_bN</c> builders).
/// </summary>
/// <param name="Name">The <c>model.architecture</c> value, e.g. <c>efficientnet_b3</c>.</param>
/// <param name="WidthMult">Channel multiplier applied to the B0 table (rounded to multiples of 8).</param>
/// <param name="DepthMult">Block-count multiplier applied to the B0 table (rounded up).</param>
/// <param name="Dropout">torchvision's classifier dropout for this variant (DryWet's config overrides it).</param>
/// <param name="BatchNormEps">BatchNorm epsilon: 1e-5 (PyTorch default) for B0–B4 and tiny, 1e-3 for B5–B7.</param>
/// <param name="BatchNormMomentum">BatchNorm momentum: 0.1 for B0–B4 and tiny, 0.01 for B5–B7.</param>
/// <param name="ResolutionHint">torchvision's evaluation crop size for the variant (informational).</param>
public sealed record EfficientNetVariant(
    string Name,
    double WidthMult,
    double DepthMult,
    double Dropout,
    double BatchNormEps,
    double BatchNormMomentum,
    int ResolutionHint)
{
    /// <summary>Every stochastic-depth probability grows linearly from 0 to this value over the blocks (torchvision: 0.2).</summary>
    public const double StochasticDepthProb = 0.2;

    /// <summary>
    /// The B0 MBConv table: (expand_ratio, kernel, stride, in_channels, out_channels, layers), one row per stage.
    /// Every variant scales this table; nothing else differs.
    /// </summary>
    internal static readonly (int ExpandRatio, int Kernel, int Stride, int InChannels, int OutChannels, int Layers)[] B0Stages =
    [
        (1, 3, 1, 32, 16, 1),
        (6, 3, 2, 16, 24, 2),
        (6, 5, 2, 24, 40, 2),
        (6, 3, 2, 40, 80, 3),
        (6, 5, 1, 80, 112, 3),
        (6, 5, 2, 112, 192, 4),
        (6, 3, 1, 192, 320, 1),
    ];

    public static readonly EfficientNetVariant B0 = new("efficientnet_b0", 1.0, 1.0, 0.2, 1e-5, 0.1, 224);
    public static readonly EfficientNetVariant B1 = new("efficientnet_b1", 1.0, 1.1, 0.2, 1e-5, 0.1, 240);
    public static readonly EfficientNetVariant B2 = new("efficientnet_b2", 1.1, 1.2, 0.3, 1e-5, 0.1, 288);
    public static readonly EfficientNetVariant B3 = new("efficientnet_b3", 1.2, 1.4, 0.3, 1e-5, 0.1, 300);
    public static readonly EfficientNetVariant B4 = new("efficientnet_b4", 1.4, 1.8, 0.4, 1e-5, 0.1, 380);
    public static readonly EfficientNetVariant B5 = new("efficientnet_b5", 1.6, 2.2, 0.4, 1e-3, 0.01, 456);
    public static readonly EfficientNetVariant B6 = new("efficientnet_b6", 1.8, 2.6, 0.5, 1e-3, 0.01, 528);
    public static readonly EfficientNetVariant B7 = new("efficientnet_b7", 2.0, 3.1, 0.5, 1e-3, 0.01, 600);

    /// <summary>
    /// DryWet's test/CI variant (not in torchvision): the B0 table at width 0.25 and depth 0.34, so the stem has
    /// 8 channels, the head 320, stages 4–6 have two blocks (residual connections with expand convs) and the others one.
    /// Same block types, SE, stochastic depth and export path as B0–B7; 199,464 parameters with 2 classes, for 32–96 px inputs.
    /// </summary>
    public static readonly EfficientNetVariant Tiny = new("efficientnet_tiny", 0.25, 0.34, 0.2, 1e-5, 0.1, 64);

    public static IReadOnlyList<EfficientNetVariant> All { get; } = [B0, B1, B2, B3, B4, B5, B6, B7, Tiny];

    /// <summary>Looks up <c>model.architecture</c> (case-insensitive); a clear error lists the accepted names.</summary>
    public static EfficientNetVariant FromName(string? architecture)
    {
        var name = architecture?.Trim() ?? "";
        return All.FirstOrDefault(v => string.Equals(v.Name, name, StringComparison.OrdinalIgnoreCase))
            ?? throw new DryWet.Core.DryWetException(
                $"model.architecture = '{architecture}' is not a known variant; use one of: {string.Join(", ", All.Select(v => v.Name))}.");
    }

    /// <summary>torchvision's <c>_make_divisible(v, 8)</c>: round to the nearest multiple of 8, never below 8 or 90% of v.</summary>
    internal static long MakeDivisible(double value, int divisor = 8)
    {
        var rounded = Math.Max(divisor, (long)(value + divisor / 2.0) / divisor * divisor);
        return rounded < 0.9 * value ? rounded + divisor : rounded;
    }

    internal long ScaleChannels(int channels) => MakeDivisible(channels * WidthMult);

    internal int ScaleDepth(int layers) => (int)Math.Ceiling(layers * DepthMult);
}

using DryWet.Core;

namespace DryWet.TrainingWorker.Promotion;

/// <summary>What <c>train --promote</c> does with a new model after it is registered.</summary>
public enum PromotionPolicy
{
    /// <summary>The gate decides: promoted only when at least as good as the champion on the same images (the default).</summary>
    Auto,

    /// <summary>Always promoted (the original platform's behaviour); the comparison is still recorded.</summary>
    Always,

    /// <summary>Registered with alias <c>challenger</c> only; production stays where it is.</summary>
    Never,
}

public static class PromotionPolicies
{
    public const string Names = "auto, always or never";

    public static PromotionPolicy Parse(string? value) => value?.Trim().ToLowerInvariant() switch
    {
        null or "" or "auto" => PromotionPolicy.Auto,
        "always" => PromotionPolicy.Always,
        "never" => PromotionPolicy.Never,
        _ => throw new DryWetException($"--promote '{value}' is not a promotion policy: use {Names}."),
    };

    public static string ToOptionValue(this PromotionPolicy policy) => policy.ToString().ToLowerInvariant();
}

namespace DryWet.Core.Platform;

/// <summary>
/// DryWet's images: the repositories (also in platform/config.yaml <c>images.*_repository</c> for the scripts; a test
/// keeps them equal) tagged with <see cref="DryWetVersion.ImageTag"/>.
/// </summary>
public static class PlatformImages
{
    public const string ServingRepository = "dry_wet_serving";
    public const string TrainingRepository = "dry_wet_train";
    public const string WebRepository = "dry_wet_ui";

    public static string Serving { get; } = $"{ServingRepository}:{DryWetVersion.ImageTag}";

    public static string Training { get; } = $"{TrainingRepository}:{DryWetVersion.ImageTag}";

    public static string Web { get; } = $"{WebRepository}:{DryWetVersion.ImageTag}";
}

namespace DryWet.Core.Platform;

/// <summary>
/// DryWet's version, read from the assembly (MSBuild <c>Version</c> in Directory.Build.props, the one source), and the
/// image tag derived from it (<c>v1.0.0</c>).
/// </summary>
public static class DryWetVersion
{
    /// <summary>Major.minor.patch, e.g. <c>1.0.0</c>: the Open Inference Protocol server version.</summary>
    public static string Current { get; } = typeof(DryWetVersion).Assembly.GetName().Version?.ToString(3)
        ?? throw new InvalidOperationException("DryWet.Core has no assembly version; Directory.Build.props sets <Version>.");

    /// <summary>The tag of DryWet's images, e.g. <c>v1.0.0</c> (immutable tags, see platform/build-images.sh).</summary>
    public static string ImageTag { get; } = $"v{Current}";
}

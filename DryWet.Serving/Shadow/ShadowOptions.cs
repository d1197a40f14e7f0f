using DryWet.Core.Configuration;

namespace DryWet.Serving.Shadow;

/// <summary>
/// How the shadow model (the registry's <c>challenger</c>, loaded when <c>Model:Shadow</c> is <c>auto</c>) sees traffic,
/// section <c>Serving:Shadow</c> (env <c>Serving__Shadow__SampleRate</c>, …). Shadow work runs on one low-priority thread,
/// off the response path, from a bounded queue: it yields to live requests and is dropped (and counted) when they wait.
/// Bound and checked at start by <see cref="OptionsBinding"/>.
/// </summary>
public sealed class ShadowOptions : IValidatedOptions
{
    public const string SectionName = ServingOptions.SectionName + ":Shadow";

    /// <summary>
    /// Share of served images the shadow also classifies, 0–1 (default 1 = every one; 0 = none). One draw per image
    /// decides this and the prediction log's sample, so logged images are shadowed whenever this rate is at least the log's.
    /// </summary>
    public double SampleRate { get; set; } = 1;

    /// <summary>Images waiting for the shadow (default 32); one more is dropped and counted.</summary>
    public int QueueCapacity { get; set; } = 32;

    /// <summary>Image bytes the shadow queue may hold at once (default 32 MB); beyond it an image is dropped like on a full queue.</summary>
    public int MaxQueuedMegabytes { get; set; } = 32;

    /// <summary>
    /// Longest an image waits for the shadow (default 2 s); older ones are dropped. A logged prediction waits at most
    /// this long for the shadow's answer before it is written without one.
    /// </summary>
    public TimeSpan MaxWait { get; set; } = TimeSpan.FromSeconds(2);

    public long MaxQueuedBytes => MaxQueuedMegabytes * 1024L * 1024L;

    public IEnumerable<string> Validate(string section) => InvalidSettings.Of(section,
        (SampleRate is >= 0 and <= 1, nameof(SampleRate), SampleRate, "a number from 0 (no image) to 1 (every image)"),
        (QueueCapacity is >= 1 and <= 10_000, nameof(QueueCapacity), QueueCapacity, "a whole number from 1 to 10000"),
        (MaxQueuedMegabytes is >= 1 and <= 4096, nameof(MaxQueuedMegabytes), MaxQueuedMegabytes, "a whole number of megabytes from 1 to 4096"),
        (MaxWait > TimeSpan.Zero && MaxWait <= TimeSpan.FromMinutes(1), nameof(MaxWait), MaxWait, "a time span above 0 and up to 00:01:00"));
}

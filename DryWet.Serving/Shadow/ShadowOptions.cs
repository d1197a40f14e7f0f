using System.Globalization;
using DryWet.Core;
using DryWet.Core.Configuration;

namespace DryWet.Serving.Shadow;

/// <summary>
/// How the shadow model (the registry's <c>challenger</c>, loaded when <c>Model:Shadow</c> is <c>auto</c>) sees traffic,
/// section <c>Serving:Shadow</c> (env <c>Serving__Shadow__SampleRate</c>, …). Shadow work runs on one low-priority thread,
/// off the response path, from a bounded queue: it yields to live requests and is dropped (and counted) when they wait.
/// </summary>
public sealed class ShadowOptions
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

    /// <summary>Binds and validates the section at start-up: an unknown key or a bad value stops the start naming each.</summary>
    public static ShadowOptions Bind(IConfiguration configuration)
    {
        OptionsKeyChecker.ThrowOnUnknownKeys(configuration, (SectionName, typeof(ShadowOptions)));
        var section = configuration.GetSection(SectionName);
        var options = new ShadowOptions();
        var errors = new List<string>();
        options.SampleRate = Parse(section, nameof(SampleRate), options.SampleRate, errors,
            v => double.TryParse(v, NumberStyles.Float, CultureInfo.InvariantCulture, out var d) && d is >= 0 and <= 1 ? d : null,
            "a number from 0 (no image) to 1 (every image)");
        options.QueueCapacity = Parse(section, nameof(QueueCapacity), options.QueueCapacity, errors,
            v => int.TryParse(v, NumberStyles.Integer, CultureInfo.InvariantCulture, out var i) && i is >= 1 and <= 10_000 ? i : null,
            "a whole number from 1 to 10000");
        options.MaxQueuedMegabytes = Parse(section, nameof(MaxQueuedMegabytes), options.MaxQueuedMegabytes, errors,
            v => int.TryParse(v, NumberStyles.Integer, CultureInfo.InvariantCulture, out var i) && i is >= 1 and <= 4096 ? i : null,
            "a whole number of megabytes from 1 to 4096");
        options.MaxWait = Parse(section, nameof(MaxWait), options.MaxWait, errors,
            v => TimeSpan.TryParse(v, CultureInfo.InvariantCulture, out var t) && t > TimeSpan.Zero && t <= TimeSpan.FromMinutes(1) ? t : null,
            "a time span above 0 and up to 00:01:00");
        if (errors.Count > 0)
        {
            throw new DryWetException("Settings are invalid:" + Environment.NewLine + "  - " + string.Join(Environment.NewLine + "  - ", errors));
        }

        return options;
    }

    private static T Parse<T>(IConfigurationSection section, string key, T fallback, List<string> errors, Func<string, T?> parse, string expected)
        where T : struct
    {
        var value = section[key];
        if (string.IsNullOrWhiteSpace(value))
        {
            return fallback;
        }

        if (parse(value.Trim()) is { } parsed)
        {
            return parsed;
        }

        errors.Add($"{SectionName}:{key} = '{value}' is invalid: use {expected}.");
        return fallback;
    }
}

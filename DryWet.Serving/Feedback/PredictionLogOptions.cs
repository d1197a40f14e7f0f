using System.Globalization;
using DryWet.Core;
using DryWet.Core.Configuration;

namespace DryWet.Serving.Feedback;

/// <summary>
/// What serving records of what it saw, section <c>Serving:PredictionLog</c> (env <c>Serving__PredictionLog__SampleRate</c>, …):
/// the image and a <see cref="DryWet.Core.Feedback.PredictionLogRecord"/> per sampled successful prediction, into
/// <c>ml-feedback/predictions/&lt;yyyy-MM-dd&gt;/</c>. Off by default: logging users' images is a decision to take.
/// </summary>
public sealed class PredictionLogOptions
{
    public const string SectionName = ServingOptions.SectionName + ":PredictionLog";

    /// <summary>Share of successful predictions logged, 0–1: 0 (default) = off, 1 = every one.</summary>
    public double SampleRate { get; set; }

    /// <summary>Predictions waiting to be written; when the queue is full (a slow store) new ones are dropped and counted.</summary>
    public int QueueCapacity { get; set; } = 64;

    /// <summary>
    /// Image bytes the queue may hold at once (default 64 MB): bounds memory when uploads are large (up to
    /// Serving:MaxRequestBodyBytes each); beyond it a prediction is dropped like on a full queue.
    /// </summary>
    public int MaxQueuedMegabytes { get; set; } = 64;

    /// <summary>Date folders older than this many days are deleted (checked at start and hourly); 0 = keep forever.</summary>
    public int RetentionDays { get; set; } = 30;

    public bool Enabled => SampleRate > 0;

    /// <summary>
    /// Binds and validates the section at start-up: a value that does not parse or is out of range stops the start
    /// with one error listing each key and its value (the binder alone would throw on the first request, or never).
    /// </summary>
    public static PredictionLogOptions Bind(IConfiguration configuration)
    {
        var section = configuration.GetSection(SectionName);
        OptionsKeyChecker.ThrowOnUnknownKeys(configuration, (SectionName, typeof(PredictionLogOptions)));
        var options = new PredictionLogOptions();
        var errors = new List<string>();
        options.SampleRate = Parse(section, nameof(SampleRate), options.SampleRate, errors,
            v => double.TryParse(v, NumberStyles.Float, CultureInfo.InvariantCulture, out var d) && d is >= 0 and <= 1 ? d : null,
            "a number from 0 (off) to 1 (every prediction)");
        options.QueueCapacity = Parse(section, nameof(QueueCapacity), options.QueueCapacity, errors,
            v => int.TryParse(v, NumberStyles.Integer, CultureInfo.InvariantCulture, out var i) && i is >= 1 and <= 100_000 ? i : null,
            "a whole number from 1 to 100000");
        options.MaxQueuedMegabytes = Parse(section, nameof(MaxQueuedMegabytes), options.MaxQueuedMegabytes, errors,
            v => int.TryParse(v, NumberStyles.Integer, CultureInfo.InvariantCulture, out var i) && i is >= 1 and <= 4096 ? i : null,
            "a whole number of megabytes from 1 to 4096");
        options.RetentionDays = Parse(section, nameof(RetentionDays), options.RetentionDays, errors,
            v => int.TryParse(v, NumberStyles.Integer, CultureInfo.InvariantCulture, out var i) && i is >= 0 and <= 36_500 ? i : null,
            "a whole number of days, 0 (keep forever) or more");
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

using DryWet.Core.Configuration;

namespace DryWet.Serving.Feedback;

/// <summary>
/// What serving records of what it saw, section <c>Serving:PredictionLog</c> (env <c>Serving__PredictionLog__SampleRate</c>, …):
/// the image and a <see cref="DryWet.Core.Feedback.PredictionLogRecord"/> per sampled successful prediction, into
/// <c>ml-feedback/predictions/&lt;yyyy-MM-dd&gt;/</c>. Off by default: logging users' images is a decision to take.
/// Bound and checked at start by <see cref="OptionsBinding"/>.
/// </summary>
public sealed class PredictionLogOptions : IValidatedOptions
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

    public IEnumerable<string> Validate(string section) => InvalidSettings.Of(section,
        (SampleRate is >= 0 and <= 1, nameof(SampleRate), SampleRate, "a number from 0 (off) to 1 (every prediction)"),
        (QueueCapacity is >= 1 and <= 100_000, nameof(QueueCapacity), QueueCapacity, "a whole number from 1 to 100000"),
        (MaxQueuedMegabytes is >= 1 and <= 4096, nameof(MaxQueuedMegabytes), MaxQueuedMegabytes, "a whole number of megabytes from 1 to 4096"),
        (RetentionDays is >= 0 and <= 36_500, nameof(RetentionDays), RetentionDays, "a whole number of days, 0 (keep forever) to 36500"));
}

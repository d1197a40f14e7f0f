using DryWet.Core.Configuration;

namespace DryWet.Core.Tracking.Mlflow;

/// <summary>Tuning for <see cref="MlflowClient"/> (configuration section <c>DryWet:Mlflow</c>).</summary>
public sealed class MlflowClientOptions : IValidatedOptions
{
    public const string SectionName = "DryWet:Mlflow";

    /// <summary>Retries of a transient failure (see <see cref="MlflowRetryPolicy"/>), with exponential backoff from <see cref="RetryDelay"/>.</summary>
    public int MaxRetryAttempts { get; set; } = 4;

    public TimeSpan RetryDelay { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>Per attempt; generous because model artifacts (tens of MB) stream through the tracking server.</summary>
    public TimeSpan AttemptTimeout { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>How long a new model version may stay PENDING_REGISTRATION before it is deleted and registration fails.</summary>
    public TimeSpan ReadyTimeout { get; set; } = TimeSpan.FromMinutes(5);

    public TimeSpan ReadyPollInterval { get; set; } = TimeSpan.FromSeconds(1);

    public IEnumerable<string> Validate(string section)
    {
        if (MaxRetryAttempts is < 0 or > 20)
        {
            yield return $"{section}:{nameof(MaxRetryAttempts)} = {MaxRetryAttempts} is invalid: use 0 (no retries) to 20 (default 4).";
        }

        foreach (var (name, value, zeroAllowed) in new[]
                 {
                     (nameof(RetryDelay), RetryDelay, true), (nameof(AttemptTimeout), AttemptTimeout, false),
                     (nameof(ReadyTimeout), ReadyTimeout, false), (nameof(ReadyPollInterval), ReadyPollInterval, false),
                 })
        {
            if (value < TimeSpan.Zero || (value == TimeSpan.Zero && !zeroAllowed))
            {
                yield return $"{section}:{name} = {value} is invalid: use a {(zeroAllowed ? "non-negative" : "positive")} time span.";
            }
        }
    }
}

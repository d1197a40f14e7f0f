using System.Text.RegularExpressions;

namespace DryWet.Core.Tracking;

/// <summary>MLflow's naming rules for param, metric and tag keys (mlflow/utils/validation.py), checked by both adapters.</summary>
public static partial class TrackingNames
{
    public const int MaxKeyLength = 250;
    public const int MaxParamValueLength = 6000;
    public const int MaxTagValueLength = 5000;

    [GeneratedRegex(@"^[/\w.\- ]*$")]
    private static partial Regex KeyPattern();

    public static void ValidateKey(string kind, string key)
    {
        if (string.IsNullOrEmpty(key) || key.Length > MaxKeyLength || !KeyPattern().IsMatch(key)
            || key.StartsWith('/') || key.Split('/').Any(s => s is "" or "." or ".."))
        {
            throw new DryWetException($"Invalid {kind} name '{key}': use at most {MaxKeyLength} letters, digits, '_', '-', '.', ' ' or '/' (no leading '/', no '..').");
        }
    }

    public static void ValidateValue(string kind, string key, string value, int maxLength)
    {
        if (value.Length > maxLength)
        {
            throw new DryWetException($"The {kind} '{key}' has a value of {value.Length} characters; MLflow accepts at most {maxLength}. Log it as an artifact instead.");
        }
    }

    public static string ToStatusName(RunOutcome outcome) => outcome switch
    {
        RunOutcome.Finished => "FINISHED",
        RunOutcome.Failed => "FAILED",
        RunOutcome.Killed => "KILLED",
        _ => throw new ArgumentOutOfRangeException(nameof(outcome), outcome, null),
    };
}

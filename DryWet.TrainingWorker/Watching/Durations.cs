using System.Globalization;
using DryWet.Core;

namespace DryWet.TrainingWorker.Watching;

/// <summary>Durations on the command line: <c>500ms</c>, <c>30s</c>, <c>5m</c>, <c>1h</c>, or a TimeSpan (<c>00:01:00</c>).</summary>
public static class Durations
{
    public static TimeSpan Parse(string option, string? text, TimeSpan min, TimeSpan max)
    {
        var value = (text ?? "").Trim();
        var parsed = value switch
        {
            _ when value.EndsWith("ms", StringComparison.OrdinalIgnoreCase) => Number(value[..^2], TimeSpan.FromMilliseconds),
            _ when value.EndsWith('s') => Number(value[..^1], TimeSpan.FromSeconds),
            _ when value.EndsWith('m') => Number(value[..^1], TimeSpan.FromMinutes),
            _ when value.EndsWith('h') => Number(value[..^1], TimeSpan.FromHours),
            _ => TimeSpan.TryParse(value, CultureInfo.InvariantCulture, out var span) ? span : (TimeSpan?)null,
        };
        if (parsed is not { } duration)
        {
            throw new DryWetException($"{option} '{text}' is not a duration: use e.g. 30s, 5m, 1h or 00:01:00.");
        }

        if (duration < min || duration > max)
        {
            throw new DryWetException($"{option} {text} is out of range: between {min} and {max}.");
        }

        return duration;
    }

    private static TimeSpan? Number(string digits, Func<double, TimeSpan> unit) =>
        double.TryParse(digits, NumberStyles.Float, CultureInfo.InvariantCulture, out var n) && double.IsFinite(n) ? unit(n) : null;
}

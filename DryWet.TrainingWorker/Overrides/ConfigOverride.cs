using DryWet.Core;

namespace DryWet.TrainingWorker.Overrides;

/// <summary>One <c>key=value</c> that replaces a config.yaml setting for one run (<c>train --set</c>, a sweep's combination).</summary>
public sealed record ConfigOverride(ConfigKey Key, string Value)
{
    /// <summary>Parses and checks <c>key=value</c>: the key must exist and the value fit its kind.</summary>
    public static ConfigOverride Parse(string argument, string flag = "--set")
    {
        var equals = argument.IndexOf('=', StringComparison.Ordinal);
        if (equals <= 0)
        {
            throw new DryWetException($"{flag} '{argument}' is not key=value; pass e.g. {flag} training.learning_rate=0.0003.");
        }

        var key = ConfigKeys.Find(argument[..equals].Trim(), flag);
        return new ConfigOverride(key, ConfigKeys.CheckValue(key, argument[(equals + 1)..], flag));
    }

    /// <summary>Parses every argument; the same key twice is an error (which one should win would be a guess).</summary>
    public static IReadOnlyList<ConfigOverride> ParseAll(IEnumerable<string> arguments, string flag = "--set")
    {
        var overrides = new List<ConfigOverride>();
        foreach (var argument in arguments)
        {
            var parsed = Parse(argument, flag);
            if (overrides.Any(o => o.Key == parsed.Key))
            {
                throw new DryWetException($"{flag} {parsed.Key.Path} is given more than once; pass each key once.");
            }

            overrides.Add(parsed);
        }

        return overrides;
    }

    public override string ToString() => $"{Key.Path}={Value}";
}

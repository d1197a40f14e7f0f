using System.Globalization;

namespace DryWet.Benchmarks;

/// <summary>The benchmarks' <c>--name value</c> options: a missing option takes its fallback; a value that is not a number is an error that names both.</summary>
internal sealed class BenchmarkArguments(string[] args)
{
    public string? String(string name)
    {
        var i = Array.IndexOf(args, name);
        return i >= 0 && i + 1 < args.Length ? args[i + 1] : null;
    }

    public string String(string name, string fallback) => String(name) ?? fallback;

    public int Int(string name, int fallback) => String(name) is { } value ? Parse(name, value) : fallback;

    /// <summary>A comma-separated list of integers, e.g. <c>--sizes 224,300</c>.</summary>
    public int[] Ints(string name, string fallback) => String(name, fallback).Split(',').Select(v => Parse(name, v)).ToArray();

    public bool Flag(string name) => args.Contains(name);

    /// <summary>A duration: a number with the unit <c>s</c>, <c>m</c> or <c>h</c> (<c>90s</c>, <c>30m</c>, <c>2h</c>); null when the option is absent.</summary>
    public TimeSpan? Duration(string name)
    {
        if (String(name) is not { } value)
        {
            return null;
        }

        var unit = value.Length > 0 ? value[^1] : ' ';
        var scale = unit switch { 's' => 1, 'm' => 60, 'h' => 3600, _ => 0 };
        return scale > 0 && int.TryParse(value[..^1], NumberStyles.None, CultureInfo.InvariantCulture, out var amount) && amount > 0
            ? TimeSpan.FromSeconds((double)amount * scale)
            : throw new BenchmarkArgumentException($"{name} expects a positive duration with a unit, e.g. 90s, 30m or 2h; got '{value}'.");
    }

    private static int Parse(string name, string value) =>
        int.TryParse(value, NumberStyles.Integer, CultureInfo.InvariantCulture, out var parsed)
            ? parsed
            : throw new BenchmarkArgumentException($"{name} expects an integer, got '{value}'.");
}

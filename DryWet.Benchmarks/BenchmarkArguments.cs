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

    private static int Parse(string name, string value) =>
        int.TryParse(value, NumberStyles.Integer, CultureInfo.InvariantCulture, out var parsed)
            ? parsed
            : throw new BenchmarkArgumentException($"{name} expects an integer, got '{value}'.");
}

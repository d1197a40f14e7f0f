namespace DryWet.Benchmarks;

/// <summary>A benchmark option's value could not be read; the message names the option and the value.</summary>
internal sealed class BenchmarkArgumentException(string message) : Exception(message);

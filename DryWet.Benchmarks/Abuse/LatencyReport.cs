namespace DryWet.Benchmarks.Abuse;

/// <summary>Count, p50, p99 and maximum in ms, and how many took at least the limit the report was made with.</summary>
internal sealed record LatencyReport(int Count, double P50Ms, double P99Ms, double MaxMs, int AtOrOverLimit);

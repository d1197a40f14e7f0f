namespace DryWet.Benchmarks.Abuse;

/// <summary>The <c>/alive</c> probes of one scenario: latencies (<c>AtOrOverLimit</c>: probes of 1 s or more) and failed probes.</summary>
internal sealed record AliveReport(LatencyReport Latency, int Failed);

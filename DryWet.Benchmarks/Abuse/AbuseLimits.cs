namespace DryWet.Benchmarks.Abuse;

/// <summary>
/// Issue 19's "done when", as numbers: serving's peak RSS (1 GB with the tiny model, the published 1536 MiB pod limit
/// with a real one), the web's (its 512 MiB pod limit), <c>/alive</c> p99, how soon a valid request succeeds after each
/// scenario, and (soak) how far RSS may grow from the end of the first window to the end of the last.
/// </summary>
internal sealed record AbuseLimits(double ServingRssMb, double WebRssMb, double AliveP99Ms, double RecoveryMs, double DriftMb);

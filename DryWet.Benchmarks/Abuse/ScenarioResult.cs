namespace DryWet.Benchmarks.Abuse;

/// <summary>
/// One row of the report: a scenario of the table (or a soak window), what its requests got, the probes and memory of
/// both processes while it ran, the first valid request after it, and the limits it broke.
/// </summary>
internal sealed record ScenarioResult(
    string Name,
    string Description,
    string Target,
    int Clients,
    double Seconds,
    StatusMixReport Requests,
    LatencyReport Latency,
    StatusMixReport? Reloads,
    StatusMixReport? Thumbnails,
    AliveReport ServingAlive,
    AliveReport WebAlive,
    MemoryReport ServingMemory,
    MemoryReport WebMemory,
    RecoveryReport Recovery,
    IReadOnlyList<string> Violations);

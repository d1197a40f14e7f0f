namespace DryWet.Benchmarks.Abuse;

/// <summary>The JSON result file: how the run was made, every scenario (or soak window), the overall peaks and drift, the violations, the exit code.</summary>
internal sealed record AbuseReport(
    string Mode,
    DateTimeOffset Started,
    DateTimeOffset Finished,
    int Cores,
    string LoadAverageStart,
    string LoadAverageEnd,
    string Model,
    int SecondsPerScenario,
    int? ClientsOverride,
    AbuseLimits Limits,
    IReadOnlyList<ScenarioResult> Scenarios,
    double ServingPeakRssMb,
    double WebPeakRssMb,
    SoakDrift? Drift,
    IReadOnlyList<string> Violations,
    int ExitCode);

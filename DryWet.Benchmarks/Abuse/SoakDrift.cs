namespace DryWet.Benchmarks.Abuse;

/// <summary>RSS (MB) at the end of the first soak window and of the last, per process: what the long run leaked or held on to.</summary>
internal sealed record SoakDrift(double ServingFirstEndMb, double ServingLastEndMb, double WebFirstEndMb, double WebLastEndMb)
{
    public double ServingMb => Math.Round(ServingLastEndMb - ServingFirstEndMb, 1);
    public double WebMb => Math.Round(WebLastEndMb - WebFirstEndMb, 1);
}

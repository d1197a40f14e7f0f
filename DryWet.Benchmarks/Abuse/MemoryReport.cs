namespace DryWet.Benchmarks.Abuse;

/// <summary>A process's resident memory in MB over one scenario or window; <c>PeakSource</c> says how the peak was read.</summary>
internal sealed record MemoryReport(double StartMb, double PeakMb, double EndMb, string PeakSource)
{
    public double DriftMb => Math.Round(EndMb - StartMb, 1);
}

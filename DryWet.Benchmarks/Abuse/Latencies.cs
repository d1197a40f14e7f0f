namespace DryWet.Benchmarks.Abuse;

/// <summary>Latencies in milliseconds, added from many clients; percentiles by nearest rank.</summary>
internal sealed class Latencies
{
    private readonly List<double> _milliseconds = [];

    public void Add(double milliseconds)
    {
        lock (_milliseconds)
        {
            _milliseconds.Add(milliseconds);
        }
    }

    public LatencyReport ToReport(double slowMilliseconds)
    {
        double[] sorted;
        lock (_milliseconds)
        {
            sorted = [.. _milliseconds.Order()];
        }

        double Percentile(double q) => sorted.Length == 0 ? 0 : sorted[Math.Clamp((int)Math.Ceiling(q * sorted.Length) - 1, 0, sorted.Length - 1)];
        return new LatencyReport(sorted.Length, Percentile(0.5), Percentile(0.99), sorted.Length == 0 ? 0 : sorted[^1],
            sorted.Count(ms => ms >= slowMilliseconds));
    }
}

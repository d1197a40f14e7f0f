namespace DryWet.Serving.Inference;

/// <summary>
/// The latest run times per batch size of a served model (the last <see cref="SamplesPerSize"/> of each), so the
/// batcher re-checks its choice against what runs really take under live traffic (decodes sharing the cores
/// included), not only what they took at load. Bounded: at most <see cref="BatchPlanner.MaxBatchLimit"/> sizes.
/// </summary>
internal sealed class LiveBatchLatencies
{
    public const int SamplesPerSize = 32;

    /// <summary>Samples a size needs before its live median replaces the measured value.</summary>
    public const int MinimumSamples = 16;

    private readonly object _lock = new();
    private readonly Dictionary<int, Ring> _bySize = [];

    public void Record(int batchSize, double seconds)
    {
        if (batchSize is < 1 or > BatchPlanner.MaxBatchLimit || !double.IsFinite(seconds) || seconds <= 0)
        {
            return;
        }

        lock (_lock)
        {
            if (!_bySize.TryGetValue(batchSize, out var ring))
            {
                _bySize[batchSize] = ring = new Ring();
            }

            ring.Add(seconds);
        }
    }

    /// <summary>The median of every size with at least <see cref="MinimumSamples"/> samples.</summary>
    public IReadOnlyList<KeyValuePair<int, double>> Medians()
    {
        lock (_lock)
        {
            return _bySize.Where(p => p.Value.Count >= MinimumSamples)
                .Select(p => KeyValuePair.Create(p.Key, p.Value.Median()))
                .ToList();
        }
    }

    private sealed class Ring
    {
        private readonly double[] _samples = new double[SamplesPerSize];
        private int _next;

        public int Count { get; private set; }

        public void Add(double seconds)
        {
            _samples[_next] = seconds;
            _next = (_next + 1) % _samples.Length;
            Count = Math.Min(Count + 1, _samples.Length);
        }

        public double Median()
        {
            var sorted = _samples.AsSpan(0, Count).ToArray();
            Array.Sort(sorted);
            return sorted[sorted.Length / 2];
        }
    }
}

namespace DryWet.Serving.Inference;

/// <summary>
/// How long one ONNX Runtime run takes per batch size on this machine (typical value: the median of the runs seen),
/// measured when the model is loaded (<see cref="BatchTuner"/>) and refined from live runs (<see cref="LiveBatchLatencies"/>).
/// The input of <see cref="BatchPlanner"/>.
/// </summary>
public sealed class BatchLatencyTable
{
    private readonly SortedDictionary<int, double> _seconds;

    public BatchLatencyTable(IEnumerable<KeyValuePair<int, double>> secondsByBatchSize)
    {
        _seconds = new SortedDictionary<int, double>();
        foreach (var (size, seconds) in secondsByBatchSize)
        {
            ArgumentOutOfRangeException.ThrowIfLessThan(size, 1);
            if (!double.IsFinite(seconds) || seconds <= 0)
            {
                throw new ArgumentOutOfRangeException(nameof(secondsByBatchSize), seconds, $"The latency of batch size {size} must be a positive number of seconds.");
            }

            _seconds[size] = seconds;
        }
    }

    /// <summary>Batch sizes with a latency, ascending.</summary>
    public IReadOnlyCollection<int> BatchSizes => _seconds.Keys;

    public int Count => _seconds.Count;

    public double SecondsAt(int batchSize) => _seconds[batchSize];

    public bool Contains(int batchSize) => _seconds.ContainsKey(batchSize);

    /// <summary>Images per second when every run is a full batch of <paramref name="batchSize"/>.</summary>
    public double ImagesPerSecondAt(int batchSize) => batchSize / _seconds[batchSize];

    /// <summary>
    /// The latency at <paramref name="batchSize"/>: measured, else interpolated linearly between the nearest measured
    /// sizes (a run's cost grows about linearly with its images), else extrapolated from the largest per image.
    /// </summary>
    public double Estimate(int batchSize)
    {
        if (_seconds.TryGetValue(batchSize, out var exact))
        {
            return exact;
        }

        var below = _seconds.Keys.Where(s => s < batchSize).DefaultIfEmpty(0).Max();
        var above = _seconds.Keys.Where(s => s > batchSize).DefaultIfEmpty(0).Min();
        if (below == 0)
        {
            return _seconds[above] * batchSize / above;
        }

        if (above == 0)
        {
            return _seconds[below] * batchSize / below;
        }

        var t = (double)(batchSize - below) / (above - below);
        return _seconds[below] + t * (_seconds[above] - _seconds[below]);
    }

    /// <summary>This table with <paramref name="newer"/>'s values where it has one.</summary>
    public BatchLatencyTable With(IEnumerable<KeyValuePair<int, double>> newer) =>
        new(_seconds.Concat(newer).GroupBy(p => p.Key).Select(g => g.Last()));

    public IReadOnlyDictionary<int, double> ToDictionary() => new Dictionary<int, double>(_seconds);

    public override string ToString() =>
        string.Join(", ", _seconds.Select(p => FormattableString.Invariant($"{p.Key}: {p.Value * 1000:0.###} ms")));
}

using System.Collections.Concurrent;
using System.Diagnostics.Metrics;

namespace DryWet.Tests.Serving;

/// <summary>
/// Sums one counter of one serving host (its meter factory) by the values of one tag, in process and exactly: no
/// scrape cache between what the host recorded and what the test reads.
/// </summary>
internal sealed class TaggedCounter : IDisposable
{
    private readonly ConcurrentDictionary<string, long> _byValue = new(StringComparer.Ordinal);
    private readonly MeterListener _listener = new();

    public TaggedCounter(IMeterFactory hostMeters, string instrument, string tag)
    {
        _listener.InstrumentPublished = (published, listener) =>
        {
            if (ReferenceEquals(published.Meter.Scope, hostMeters) && published.Name == instrument)
            {
                listener.EnableMeasurementEvents(published);
            }
        };
        _listener.SetMeasurementEventCallback<long>((_, value, tags, _) =>
        {
            foreach (var t in tags)
            {
                if (t.Key == tag)
                {
                    _byValue.AddOrUpdate((string)t.Value!, value, (_, sum) => sum + value);
                }
            }
        });
        _listener.Start();
    }

    public long this[string value] => _byValue.GetValueOrDefault(value);

    public long Total => _byValue.Values.Sum();

    public IReadOnlyDictionary<string, long> ByValue => new Dictionary<string, long>(_byValue);

    public void Dispose() => _listener.Dispose();
}

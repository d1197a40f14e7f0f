using System.Collections.Concurrent;
using System.Diagnostics.Metrics;

namespace DryWet.Tests.Serving;

/// <summary>
/// Counts <c>drywet_prediction_log_dropped_total</c> by reason for one serving host (its meter factory), in process:
/// it still counts what the host records while it stops, when /metrics no longer answers.
/// </summary>
internal sealed class DropCounter : IDisposable
{
    private readonly ConcurrentDictionary<string, long> _byReason = new(StringComparer.Ordinal);
    private readonly MeterListener _listener = new();

    public DropCounter(IMeterFactory hostMeters)
    {
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            if (ReferenceEquals(instrument.Meter.Scope, hostMeters) && instrument.Name == "drywet_prediction_log_dropped_total")
            {
                listener.EnableMeasurementEvents(instrument);
            }
        };
        _listener.SetMeasurementEventCallback<long>((_, value, tags, _) =>
        {
            foreach (var tag in tags)
            {
                if (tag.Key == "reason")
                {
                    _byReason.AddOrUpdate((string)tag.Value!, value, (_, sum) => sum + value);
                }
            }
        });
        _listener.Start();
    }

    public IReadOnlyDictionary<string, long> ByReason => new Dictionary<string, long>(_byReason);

    public void Dispose() => _listener.Dispose();
}

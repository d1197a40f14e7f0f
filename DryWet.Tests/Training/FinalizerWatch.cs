using System.Collections.Concurrent;
using System.Diagnostics;
using System.Diagnostics.Tracing;
using System.Runtime.CompilerServices;

namespace DryWet.Tests.Training;

/// <summary>
/// Counts the objects the runtime finalizes, per type, from its own <c>FinalizeObject</c> events (provider
/// Microsoft-Windows-DotNETRuntime, GC keyword, verbose). An object that is disposed is never finalized; one that is
/// finalized was left to the GC. For a TorchSharp 0.107 <see cref="TorchSharp.Scalar"/> that is the GC race itself: an
/// implicitly created Scalar is unreachable once its handle is read, so a GC during the native call that uses it can
/// free it mid-call. <see cref="Settle"/> finalizes everything unreachable and waits until the events up to there
/// have arrived (a marker object's own event), so a count taken after it is complete. Process-wide: use it only where
/// nothing else in the process works with the types counted at the same time (the TorchSharp test collection).
/// </summary>
internal sealed class FinalizerWatch : EventListener
{
    private const string RuntimeProvider = "Microsoft-Windows-DotNETRuntime";
    private const EventKeywords GcKeyword = (EventKeywords)0x1;
    private const int FinalizeObjectEvent = 29;
    private static readonly TimeSpan EventLimit = TimeSpan.FromSeconds(30);

    private readonly ConcurrentDictionary<ulong, int> _counts = new();

    /// <summary>How many objects of exactly <paramref name="type"/> the runtime has finalized since this watch started.</summary>
    public int Finalized(Type type) => _counts.GetValueOrDefault(TypeId(type));

    /// <summary>
    /// Runs a full GC and the finalizers, then waits until the events of everything finalized so far have arrived.
    /// The wait is a bound against events that never come (then this throws), not a timing.
    /// </summary>
    public void Settle()
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        var markers = Finalized(typeof(Marker));
        DropMarker();
        GC.Collect();
        GC.WaitForPendingFinalizers();
        var watch = Stopwatch.StartNew();
        while (Finalized(typeof(Marker)) <= markers)
        {
            if (watch.Elapsed > EventLimit)
            {
                throw new InvalidOperationException($"the runtime's FinalizeObject events did not arrive within {EventLimit.TotalSeconds:F0} s");
            }

            Thread.Sleep(10);
        }
    }

    protected override void OnEventSourceCreated(EventSource eventSource)
    {
        if (eventSource.Name == RuntimeProvider)
        {
            EnableEvents(eventSource, EventLevel.Verbose, GcKeyword);
        }
    }

    protected override void OnEventWritten(EventWrittenEventArgs eventData)
    {
        if (eventData.EventSource.Name != RuntimeProvider || (eventData.EventId != FinalizeObjectEvent && eventData.EventName != "FinalizeObject")
            || eventData.Payload is not { Count: > 0 } payload)
        {
            return;
        }

        // FinalizeObject(TypeID, ObjectID, ClrInstanceID): TypeID is the object's MethodTable, i.e. its type handle.
        var index = eventData.PayloadNames?.ToList().FindIndex(name => name.Equals("TypeID", StringComparison.OrdinalIgnoreCase)) ?? 0;
        if (index >= 0 && payload[index] is { } typeId)
        {
            _counts.AddOrUpdate(ToUInt64(typeId), 1, (_, count) => count + 1);
        }
    }

    private static ulong TypeId(Type type) => (ulong)type.TypeHandle.Value.ToInt64();

    private static ulong ToUInt64(object value) => value switch
    {
        IntPtr pointer => (ulong)pointer.ToInt64(),
        UIntPtr pointer => pointer.ToUInt64(),
        ulong number => number,
        long number => (ulong)number,
        _ => Convert.ToUInt64(value, System.Globalization.CultureInfo.InvariantCulture),
    };

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void DropMarker() => _ = new Marker();

    /// <summary>Left to the GC on purpose: its FinalizeObject event marks how far the events have arrived.</summary>
    private sealed class Marker
    {
        private static int _finalizations;

        ~Marker() => Interlocked.Increment(ref _finalizations);
    }
}

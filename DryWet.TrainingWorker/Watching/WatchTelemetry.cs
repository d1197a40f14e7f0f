using System.Diagnostics.Metrics;
using DryWet.TrainingWorker.Training;

namespace DryWet.TrainingWorker.Watching;

/// <summary>The watcher's instruments, on the trainer's meter.</summary>
internal static class WatchTelemetry
{
    public static readonly Counter<long> Decisions = TrainingTelemetry.Meter.CreateCounter<long>(
        "drywet_watch_decisions_total", unit: "{decision}", description: "Data watcher checks, by decision (no_data, unchanged, settling, already_trained, failed_before, awaiting_labels, trained, failed).");
}

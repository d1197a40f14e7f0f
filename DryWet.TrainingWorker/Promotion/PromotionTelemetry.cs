using System.Diagnostics.Metrics;
using DryWet.TrainingWorker.Training;

namespace DryWet.TrainingWorker.Promotion;

/// <summary>The gates' instruments, on the trainer's meter: one count per decision, by outcome (first, promoted, rejected; rollback, manual; promoted-live, champion-behind-live).</summary>
internal static class PromotionTelemetry
{
    public static readonly Counter<long> Decisions = TrainingTelemetry.Meter.CreateCounter<long>(
        "drywet_promotion_decisions_total", unit: "{decision}", description: "Promotion gate decisions, by outcome.");
}

using DryWet.Core.Imaging;

namespace DryWet.Serving.Admission;

/// <summary>Serving's answer to a full <see cref="DecodeBudget"/>: a <see cref="ServerBusyException"/> (503 + Retry-After) naming the settings.</summary>
public static class DecodeRefusals
{
    public static Exception ServerBusy(DecodeRefusal refusal) => refusal.Reason == DecodeRefusalReason.QueueFull
        ? new ServerBusyException(RejectionReasons.DecodeQueueFull,
            $"The server is busy: {refusal.Waiting} requests already wait to decode their images (Serving:MaxQueuedRequests). Retry shortly.")
        : new ServerBusyException(RejectionReasons.DecodeMemoryTimeout,
            $"The server is busy: no decode memory became free within {refusal.Timeout.TotalSeconds:0.#} s (Serving:DecodeMemoryBudgetMB, Serving:QueueTimeout). Retry shortly.");
}

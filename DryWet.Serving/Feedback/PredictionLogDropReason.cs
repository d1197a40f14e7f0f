namespace DryWet.Serving.Feedback;

/// <summary>The <c>reason</c> label of <c>drywet_prediction_log_dropped_total</c>.</summary>
internal static class PredictionLogDropReason
{
    /// <summary>The queue held <c>QueueCapacity</c> entries or <c>MaxQueuedMegabytes</c> of images: the store is slower than traffic.</summary>
    public const string QueueFull = "queue_full";

    /// <summary>The object store failed or could not be reached (network, 5xx, disk).</summary>
    public const string StoreUnavailable = "store_unavailable";

    /// <summary>The store refused the write for another reason (logged).</summary>
    public const string StoreError = "store_error";

    /// <summary>Still queued when the server stopped and the drain time ran out.</summary>
    public const string Shutdown = "shutdown";
}

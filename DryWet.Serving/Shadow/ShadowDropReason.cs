namespace DryWet.Serving.Shadow;

/// <summary>The <c>reason</c> label of <c>drywet_shadow_dropped_total</c>.</summary>
internal static class ShadowDropReason
{
    /// <summary><c>Serving:Shadow:QueueCapacity</c> images or <c>MaxQueuedMegabytes</c> already waited.</summary>
    public const string QueueFull = "queue_full";

    /// <summary>Live requests were waiting (for inference or decode memory) when the shadow's turn came: it yields.</summary>
    public const string LiveBusy = "live_busy";

    /// <summary>It waited longer than <c>Serving:Shadow:MaxWait</c>.</summary>
    public const string Expired = "expired";

    /// <summary>A preprocessed (OIP FP32) input whose size or normalization differs from what the shadow takes.</summary>
    public const string InputMismatch = "input_mismatch";

    /// <summary>The shadow was unloaded (the challenger alias moved or went away) before its turn.</summary>
    public const string Unloaded = "unloaded";

    /// <summary>The shadow failed on it (logged).</summary>
    public const string Failed = "failed";
}

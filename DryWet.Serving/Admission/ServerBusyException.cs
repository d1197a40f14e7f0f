namespace DryWet.Serving.Admission;

/// <summary>
/// A request shed because the server is saturated: answered 503 with <c>Retry-After</c> and counted in
/// <c>drywet_rejected_requests_total{reason}</c>. Not the client's fault; the same request may succeed a moment later.
/// </summary>
public sealed class ServerBusyException(string reason, string message) : Exception(message)
{
    /// <summary>Seconds a client should wait before retrying (the <c>Retry-After</c> value).</summary>
    public const int RetryAfterSeconds = 1;

    /// <summary>Metric label: <see cref="RejectionReasons"/>.</summary>
    public string Reason { get; } = reason;
}

/// <summary>The <c>reason</c> label values of <c>drywet_rejected_requests_total</c>.</summary>
public static class RejectionReasons
{
    /// <summary>Already <c>Serving:MaxQueuedRequests</c> requests wait for decode memory.</summary>
    public const string DecodeQueueFull = "decode_queue_full";

    /// <summary>No decode memory (<c>Serving:DecodeMemoryBudgetMB</c>) or slot became free within <c>Serving:QueueTimeout</c>.</summary>
    public const string DecodeMemoryTimeout = "decode_memory_timeout";

    /// <summary>Already <c>Serving:MaxQueuedRequests</c> requests wait for an inference run.</summary>
    public const string QueueFull = "queue_full";

    /// <summary>The inference did not start within <c>Serving:QueueTimeout</c>.</summary>
    public const string QueueTimeout = "queue_timeout";
}

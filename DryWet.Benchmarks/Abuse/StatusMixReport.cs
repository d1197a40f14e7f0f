namespace DryWet.Benchmarks.Abuse;

/// <summary>A <see cref="StatusMix"/> as written to the report: every request is in exactly one of the counts after <c>Total</c>.</summary>
internal sealed record StatusMixReport(long Total, long Status2xx, long Status3xx, long Status4xx, long Status429, long Status503WithRetryAfter,
    long Status503WithoutRetryAfter, long Status5xxOther, long ConnectionErrors, long Timeouts)
{
    public override string ToString() =>
        $"{Status2xx} × 2xx, {Status4xx} × 4xx, {Status429} × 429, {Status503WithRetryAfter} × 503+Retry-After" +
        (Status3xx > 0 ? $", {Status3xx} × 3xx" : "") +
        (Status503WithoutRetryAfter > 0 ? $", {Status503WithoutRetryAfter} × 503 without Retry-After" : "") +
        (Status5xxOther > 0 ? $", {Status5xxOther} × other 5xx" : "") +
        (ConnectionErrors > 0 ? $", {ConnectionErrors} connection errors" : "") +
        (Timeouts > 0 ? $", {Timeouts} timed out" : "");
}

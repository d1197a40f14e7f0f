using System.Diagnostics;

namespace DryWet.Serving.Telemetry;

/// <summary>Counts every request and records its latency, labelled with the route template and the status code.</summary>
internal sealed class RequestMetricsMiddleware(RequestDelegate next, ServingTelemetry telemetry)
{
    public async Task InvokeAsync(HttpContext context)
    {
        var started = Stopwatch.GetTimestamp();
        try
        {
            await next(context);
        }
        finally
        {
            var endpoint = (context.GetEndpoint() as RouteEndpoint)?.RoutePattern.RawText ?? "unmatched";
            if (endpoint != Microsoft.Extensions.Hosting.Extensions.MetricsEndpointPath)
            {
                telemetry.RecordRequest(endpoint, context.Response.StatusCode, Stopwatch.GetElapsedTime(started).TotalSeconds);
            }
        }
    }
}

using System.Net;
using System.Net.Sockets;

namespace DryWet.Core.Tracking.Mlflow;

/// <summary>
/// Which failed MLflow calls may be sent again. Transient = connection failure, timeout, 429, 502, 503, 504.
/// GET/PUT/PATCH/DELETE and the POSTs the client marks <see cref="RetrySafeKey"/> (repeating them changes nothing:
/// set-tag, update run, alias, transition-stage, get-latest-versions, log-batch, creates answered by
/// RESOURCE_ALREADY_EXISTS) are retried on any transient fault. Other POSTs (runs/create, model-versions/create,
/// runs/log-model) would create a duplicate if the first attempt had reached the server, so they are retried only
/// when the connection was refused, i.e. the request provably never arrived.
/// </summary>
public static class MlflowRetryPolicy
{
    public static readonly HttpRequestOptionsKey<bool> RetrySafeKey = new("DryWet.Mlflow.RetrySafe");

    /// <summary>
    /// True when the attempt may be repeated. The caller's own cancellation never reaches here (the resilience
    /// pipeline stops on it); HttpClient's timeout surfaces as a TaskCanceledException with a TimeoutException inside.
    /// </summary>
    public static bool ShouldRetry(HttpRequestMessage? request, HttpResponseMessage? response, Exception? exception)
    {
        if (exception is not null)
        {
            if (IsConnectionRefused(exception))
            {
                return true;
            }

            return exception is HttpRequestException or TimeoutException or IOException or TaskCanceledException { InnerException: TimeoutException }
                && IsRetrySafe(request);
        }

        return response is not null && IsTransientStatus(response.StatusCode) && IsRetrySafe(request);
    }

    public static bool IsTransientStatus(HttpStatusCode status) =>
        status is HttpStatusCode.TooManyRequests or HttpStatusCode.BadGateway or HttpStatusCode.ServiceUnavailable
            or HttpStatusCode.GatewayTimeout or HttpStatusCode.RequestTimeout;

    public static bool IsRetrySafe(HttpRequestMessage? request)
    {
        if (request is null)
        {
            return false;
        }

        if (request.Method != HttpMethod.Post)
        {
            return true;
        }

        return request.Options.TryGetValue(RetrySafeKey, out var safe) && safe;
    }

    private static bool IsConnectionRefused(Exception exception) =>
        exception switch
        {
            HttpRequestException { HttpRequestError: HttpRequestError.ConnectionError } => true,
            SocketException { SocketErrorCode: SocketError.ConnectionRefused } => true,
            _ => exception.InnerException is { } inner && IsConnectionRefused(inner),
        };
}

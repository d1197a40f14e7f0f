using System.Net;

namespace DryWet.Benchmarks.Abuse;

/// <summary>
/// How the requests of one scenario ended. Allowed: 2xx, 4xx (429 among them, counted apart) and 503 with
/// <c>Retry-After</c>; where a scenario permits it (the web sending an anonymous visitor to sign in), 3xx. Failures:
/// 503 without <c>Retry-After</c>, any other 5xx, an unexpected 3xx, a connection error, no answer in time.
/// Thread-safe: the clients of a scenario add to one mix.
/// </summary>
internal sealed class StatusMix
{
    private long _success;
    private long _redirect;
    private long _clientError;
    private long _tooManyRequests;
    private long _unavailableWithRetryAfter;
    private long _unavailableWithoutRetryAfter;
    private long _serverError;
    private long _connectionErrors;
    private long _timeouts;

    public long Success => Interlocked.Read(ref _success);
    public long Redirect => Interlocked.Read(ref _redirect);
    public long ClientError => Interlocked.Read(ref _clientError);
    public long TooManyRequests => Interlocked.Read(ref _tooManyRequests);
    public long UnavailableWithRetryAfter => Interlocked.Read(ref _unavailableWithRetryAfter);
    public long UnavailableWithoutRetryAfter => Interlocked.Read(ref _unavailableWithoutRetryAfter);
    public long ServerError => Interlocked.Read(ref _serverError);
    public long ConnectionErrors => Interlocked.Read(ref _connectionErrors);
    public long Timeouts => Interlocked.Read(ref _timeouts);

    public long Total => Success + Redirect + ClientError + TooManyRequests + UnavailableWithRetryAfter + UnavailableWithoutRetryAfter
        + ServerError + ConnectionErrors + Timeouts;

    /// <summary>Requests that ended in a way the issue does not allow (see the class summary).</summary>
    public long Failures(bool redirectAllowed) =>
        UnavailableWithoutRetryAfter + ServerError + ConnectionErrors + Timeouts + (redirectAllowed ? 0 : Redirect);

    /// <summary>Counts one answer: its status and whether it carried <c>Retry-After</c>.</summary>
    public void Add(HttpStatusCode status, bool hasRetryAfter)
    {
        switch ((int)status)
        {
            case >= 200 and < 300:
                Interlocked.Increment(ref _success);
                break;
            case >= 300 and < 400:
                Interlocked.Increment(ref _redirect);
                break;
            case 429:
                Interlocked.Increment(ref _tooManyRequests);
                break;
            case >= 400 and < 500:
                Interlocked.Increment(ref _clientError);
                break;
            case 503 when hasRetryAfter:
                Interlocked.Increment(ref _unavailableWithRetryAfter);
                break;
            case 503:
                Interlocked.Increment(ref _unavailableWithoutRetryAfter);
                break;
            default: // other 5xx, and 1xx, which no final answer should be
                Interlocked.Increment(ref _serverError);
                break;
        }
    }

    /// <summary>The connection was refused, reset or closed before an answer.</summary>
    public void AddConnectionError() => Interlocked.Increment(ref _connectionErrors);

    /// <summary>No answer within the client's request timeout.</summary>
    public void AddTimeout() => Interlocked.Increment(ref _timeouts);

    public StatusMixReport ToReport() => new(Total, Success, Redirect, ClientError, TooManyRequests, UnavailableWithRetryAfter,
        UnavailableWithoutRetryAfter, ServerError, ConnectionErrors, Timeouts);
}

using System.Diagnostics;

namespace DryWet.Benchmarks.Abuse;

/// <summary>
/// The in-process load generator: <c>clients</c> concurrent loops, each sending one request at a time (a new
/// <see cref="HttpRequestMessage"/> from the factory) until the duration is over or it has sent its maximum count.
/// Every request ends in the <see cref="StatusMix"/>; answered ones also in <see cref="Latencies"/>. Bounded in count
/// and time: a request still open when the duration ends finishes (or times out with the client's timeout).
/// </summary>
internal static class LoadClients
{
    /// <param name="request">Builds request number <c>n</c> of client <c>c</c>: (c, n) → message.</param>
    public static async Task RunAsync(HttpClient client, Func<int, int, HttpRequestMessage> request, int clients, TimeSpan duration,
        int maxPerClient, StatusMix mix, Latencies latencies, CancellationToken cancellationToken)
    {
        var watch = Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, clients).Select(c => Task.Run(async () =>
        {
            for (var n = 0; n < maxPerClient && watch.Elapsed < duration && !cancellationToken.IsCancellationRequested; n++)
            {
                using var message = request(c, n);
                await SendAsync(client, message, mix, latencies, cancellationToken);
            }
        }, CancellationToken.None)));
    }

    /// <summary>Sends one request and counts how it ended; returns the status, or null when there was no answer.</summary>
    public static async Task<int?> SendAsync(HttpClient client, HttpRequestMessage message, StatusMix mix, Latencies? latencies, CancellationToken cancellationToken)
    {
        var started = Stopwatch.GetTimestamp();
        try
        {
            using var response = await client.SendAsync(message, HttpCompletionOption.ResponseContentRead, cancellationToken);
            latencies?.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
            mix.Add(response.StatusCode, response.Headers.RetryAfter is not null);
            return (int)response.StatusCode;
        }
        catch (TaskCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            mix.AddTimeout(); // HttpClient.Timeout passed
        }
        catch (HttpRequestException)
        {
            mix.AddConnectionError(); // refused, reset, or closed before the whole answer came
        }
        catch (IOException)
        {
            mix.AddConnectionError();
        }

        return null;
    }
}

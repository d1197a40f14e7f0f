using System.Diagnostics;
using System.Net;

namespace DryWet.Benchmarks.Serving;

/// <summary>
/// Reloads under load: wrk keeps <c>concurrency</c> clients on <c>/predict</c> while the model is reloaded
/// <c>reloads</c> times (each reload builds a second session, smoke-tests it and swaps); reports the p99 next to the
/// same load without reloads, failed requests, and the server's peak resident memory sampled every 100 ms.
/// </summary>
internal static class ReloadUnderLoad
{
    public static async Task<ReloadBenchmarkResult> MeasureAsync(WrkLoad wrk, HttpClient client, Uri server, Func<double> residentMegabytes,
        int concurrency, int seconds, int reloads)
    {
        var baseline = await wrk.RunAsync(server, concurrency, seconds);
        var steadyRss = residentMegabytes();
        var load = wrk.RunAsync(server, concurrency, seconds * 2);
        var peak = steadyRss;
        using var sampling = new CancellationTokenSource();
        var sampler = Task.Run(async () =>
        {
            while (!sampling.IsCancellationRequested)
            {
                peak = Math.Max(peak, residentMegabytes());
                await Task.Delay(100);
            }
        });

        var reloadSeconds = new List<double>();
        var failedReloads = 0;
        var spacing = TimeSpan.FromSeconds(seconds * 2.0 / (reloads + 1));
        for (var i = 0; i < reloads; i++)
        {
            await Task.Delay(spacing);
            var started = Stopwatch.GetTimestamp();
            using var response = await client.PostAsync("/model/reload", null);
            reloadSeconds.Add(Stopwatch.GetElapsedTime(started).TotalSeconds);
            failedReloads += response.StatusCode == HttpStatusCode.OK ? 0 : 1;
        }

        var during = await load;
        await sampling.CancelAsync();
        await sampler;
        return new ReloadBenchmarkResult(baseline, during, steadyRss, peak, reloads, failedReloads, reloadSeconds.Order().ElementAt(reloadSeconds.Count / 2));
    }
}

/// <summary>The load without and with reloads, steady and peak RSS (MB), and the median reload time.</summary>
internal sealed record ReloadBenchmarkResult(WrkResult Baseline, WrkResult During, double SteadyRssMb, double PeakRssMb, int Reloads, int FailedReloads,
    double MedianReloadSeconds)
{
    public override string ToString() =>
        $"p99 {Baseline.P99Ms:F0} ms without reloads → {During.P99Ms:F0} ms during {Reloads} reloads ({During.P99Ms / Baseline.P99Ms:F2}×), " +
        $"{During.Failed} failed requests, {FailedReloads} failed reloads, median reload {MedianReloadSeconds:F1} s; " +
        $"RSS steady {SteadyRssMb:F0} MB → peak {PeakRssMb:F0} MB ({PeakRssMb / SteadyRssMb:F2}×)";
}

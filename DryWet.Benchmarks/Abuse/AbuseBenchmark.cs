using DryWet.Benchmarks.Serving;
using DryWet.Core;
using DryWet.Core.Storage;

namespace DryWet.Benchmarks.Abuse;

/// <summary>
/// <c>abuse [--seconds 15] [--clients N] [--model &lt;package dir&gt;] [--reloads 5] [--report FILE.json] [--soak 30m]
/// [--rss-limit-mb 1024] [--web-rss-limit-mb 512] [--alive-limit-ms 1000] [--recovery-limit-ms 2000] [--drift-limit-mb 128]
/// [--request-timeout 60]</c>: issue 19's hostile-input table against a real DryWet.Serving and DryWet.Web (child
/// processes with their defaults; the tiny model unless <c>--model</c>), one scenario after another, each for
/// <c>--seconds</c> with the table's client count (or <c>--clients</c> for all): 16 × 60-byte RLE8 BMP bomb, 16 × 187 KB
/// PNG bomb (both 8000×8000), 64 × OIP <c>[64,3,H,W]</c> with no data, 256 × valid JPEGs, reloads under 64 clients,
/// 16 anonymous thumbnails of logged bombs (web). Per scenario: the status mix, serving's and the web's peak RSS and
/// <c>/alive</c> p99 (a prober beside the load), and a valid request right after. <c>--soak 30m</c> instead keeps mixed
/// traffic (valid, invalid, bombs, reloads, thumbnails) for that long in windows of about 5 minutes and reports the
/// RSS drift. Prints a table, writes the JSON report; exit 0 within the limits, 1 with violations (listed), 2 bad
/// options, 3 when the processes under test did not start.
/// </summary>
internal static class AbuseBenchmark
{
    public static async Task<int> RunAsync(string[] args)
    {
        var options = AbuseOptions.Read(args);
        var started = DateTimeOffset.UtcNow;
        var loadStart = ServingBenchmark.LoadAverage();
        var work = Path.Combine(Path.GetTempPath(), $"drywet-abuse-{Guid.NewGuid():N}");
        Directory.CreateDirectory(work);
        try
        {
            AbuseRun run;
            try
            {
                run = await AbuseRun.StartAsync(options, work);
            }
            catch (Exception ex) when (ex is InvalidOperationException or TimeoutException or HttpRequestException or DryWetException)
            {
                await Console.Error.WriteLineAsync($"abuse: the processes under test did not start: {ex.Message}");
                return 3;
            }

            await using (run)
            {
                var model = options.Model ?? $"tiny random CNN at {TinyClassifierGraph.Size} px (generated)";
                Console.WriteLine($"DryWet abuse benchmark · {Environment.ProcessorCount} cores · load average {loadStart} · model: {model}");
                Console.WriteLine($"serving {run.Serving.Address} (pid {run.Serving.Process.Id}), web {run.Web.Address} (pid {run.Web.Process.Id})");
                var results = new List<ScenarioResult>();
                SoakDrift? drift = null;
                if (options.Soak is { } soak)
                {
                    drift = await SoakAsync(run, options, soak, results);
                }
                else
                {
                    await TableAsync(run, options, results);
                }

                var violations = results.SelectMany(r => r.Violations).ToList();
                if (drift is not null)
                {
                    violations.AddRange(DriftViolations(drift, options.Limits));
                }

                var report = new AbuseReport(options.Soak is null ? "table" : "soak", started, DateTimeOffset.UtcNow, Environment.ProcessorCount, loadStart,
                    ServingBenchmark.LoadAverage(), model, options.Seconds, options.Clients, options.Limits, results,
                    results.Max(r => r.ServingMemory.PeakMb), results.Max(r => r.WebMemory.PeakMb), drift, violations, violations.Count == 0 ? 0 : 1);
                await WriteReportAsync(report, options.ReportPath);
                AbuseReportPrinter.Print(report, options.ReportPath);
                return report.ExitCode;
            }
        }
        finally
        {
            Directory.Delete(work, recursive: true);
        }
    }

    private static async Task TableAsync(AbuseRun run, AbuseOptions options, List<ScenarioResult> results)
    {
        var r = run.Requests;
        var thumbnailClients = options.ClientsFor(16);
        var bombs = await LoggedBomb.WriteAsync(run.WebHome, [.. Enumerable.Range(0, thumbnailClients).Select(i => i % 2 == 0 ? r.BmpBomb : r.PngBomb)]);
        var valid = options.ClientsFor(64);
        AbuseScenario[] table =
        [
            new("bmp-bomb", $"{r.BmpBomb.Length}-byte RLE8 BMP, {HostileImages.BombSide}×{HostileImages.BombSide} → POST /predict", "serving",
                options.ClientsFor(16), (_, _) => r.PredictBmpBomb()),
            new("png-bomb", $"{r.PngBomb.Length / 1024} KB PNG, {HostileImages.BombSide}×{HostileImages.BombSide} → POST /predict", "serving",
                options.ClientsFor(16), (_, _) => r.PredictPngBomb()),
            new("oip-empty", $"OIP FP32 shape {r.OipShape}, data [] ({r.OipEmpty.Length} bytes) → POST /v2/models/…/infer", "serving",
                options.ClientsFor(64), (_, _) => r.Oip()),
            new("valid-jpeg", $"1280×720 road JPEG ({r.Jpeg.Length / 1024} KB) → POST /predict", "serving",
                options.ClientsFor(256), (_, _) => r.Predict(r.Jpeg)),
            new("reloads", $"{options.Reloads} × POST /model/reload (admin key) under {valid} clients posting valid JPEGs", "serving",
                valid, (_, _) => r.Predict(r.Jpeg), Reloads: options.Reloads),
            new("thumbnails", $"GET /review/thumbnails for {bombs.Count} logged BMP/PNG bombs, once each, no cookie", "web",
                thumbnailClients, (c, _) => r.Thumbnail(bombs[c]), MaxPerClient: 1, RedirectAllowed: true, MustBePrivate: true),
        ];
        foreach (var scenario in table)
        {
            results.Add(await RunAndSayAsync(run, scenario, TimeSpan.FromSeconds(options.Seconds)));
        }
    }

    private static async Task<SoakDrift> SoakAsync(AbuseRun run, AbuseOptions options, TimeSpan soak, List<ScenarioResult> results)
    {
        var r = run.Requests;
        var windows = Math.Clamp((int)Math.Round(soak.TotalMinutes / 5), 2, 12);
        var length = soak / windows;
        var clients = options.ClientsFor(32);
        Console.WriteLine($"Soak: {soak} in {windows} windows of {length}, {clients} clients, {options.Reloads} reloads and 4 new thumbnails per window");
        for (var w = 1; w <= windows; w++)
        {
            var bombs = await LoggedBomb.WriteAsync(run.WebHome, [r.BmpBomb, r.PngBomb, r.BmpBomb, r.PngBomb]);
            var scenario = new AbuseScenario($"soak-{w}", "mixed: 8 valid JPEG : 1 truncated JPEG : 1 text : 1 empty OIP : 1 BMP/PNG bomb; reloads; anonymous thumbnails",
                "serving+web", clients, (c, n) => MixedRequest(r, c, n), Reloads: options.Reloads, Thumbnails: bombs);
            results.Add(await RunAndSayAsync(run, scenario, length));
        }

        return new SoakDrift(results[0].ServingMemory.EndMb, results[^1].ServingMemory.EndMb, results[0].WebMemory.EndMb, results[^1].WebMemory.EndMb);
    }

    /// <summary>Request n of client c in the soak: a fixed rotation, offset per client, so every window sends the same mix.</summary>
    internal static HttpRequestMessage MixedRequest(AbuseRequests r, int client, int n) => ((client * 7 + n) % 12) switch
    {
        < 8 => r.Predict(r.Jpeg),
        8 => r.Predict(r.TruncatedJpeg),
        9 => r.Predict(r.Text, "text/plain", "notes.txt"),
        10 => r.Oip(),
        _ => (client + (n / 12)) % 2 == 0 ? r.PredictBmpBomb() : r.PredictPngBomb(),
    };

    private static async Task<ScenarioResult> RunAndSayAsync(AbuseRun run, AbuseScenario scenario, TimeSpan duration)
    {
        Console.WriteLine($"{DateTime.UtcNow:HH:mm:ss} {scenario.Name}: {scenario.Description}, {scenario.Clients} clients, {duration.TotalSeconds:F0} s …");
        var result = await run.RunAsync(scenario, duration);
        Console.WriteLine($"{DateTime.UtcNow:HH:mm:ss} {scenario.Name}: {result.Requests}; serving peak {result.ServingMemory.PeakMb:F0} MB, /alive p99 {result.ServingAlive.Latency.P99Ms:F0} ms; " +
            $"web peak {result.WebMemory.PeakMb:F0} MB; {result.Violations.Count} violation(s)");
        return result;
    }

    private static IEnumerable<string> DriftViolations(SoakDrift drift, AbuseLimits limits)
    {
        if (drift.ServingMb > limits.DriftMb)
        {
            yield return $"soak: serving RSS grew {drift.ServingMb:F0} MB from the end of the first window to the end of the last (> {limits.DriftMb:F0} MB)";
        }

        if (drift.WebMb > limits.DriftMb)
        {
            yield return $"soak: web RSS grew {drift.WebMb:F0} MB from the end of the first window to the end of the last (> {limits.DriftMb:F0} MB)";
        }
    }

    private static async Task WriteReportAsync(AbuseReport report, string path)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        await AtomicFile.WriteAsync(path, (stream, ct) => System.Text.Json.JsonSerializer.SerializeAsync(stream, report, AbuseReportJson.Options, ct), CancellationToken.None);
    }
}

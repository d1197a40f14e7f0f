using System.Globalization;
using System.Net.Http.Json;
using System.Text.Json;
using DryWet.Core.Registry;
using Microsoft.Extensions.Logging.Abstractions;

namespace DryWet.Benchmarks.Serving;

/// <summary>
/// <c>serving --shadow [--seconds 6] [--rounds 4] [--concurrency 16] [--model &lt;package dir&gt;] [--challenger &lt;package dir&gt;] [--shadow-rate 1]</c>:
/// what serving a challenger as a shadow costs live traffic. Two real servers, each on its own embedded registry
/// holding the package as version 1 (production) and the challenger as version 2 (a shadow as costly as the served
/// model), one with <c>Model:Shadow</c> off, one with auto and <c>Serving:Shadow:SampleRate</c>; per round, in
/// alternating order, p50 at 1 client and throughput at <c>--concurrency</c> wrk clients. Targets: p50 on ÷ off ≤ 1.05;
/// the throughput ratio is reported. <c>--shadow-rate 0</c> is the cost baseline (both servers without shadow work).
/// <para>
/// By default the challenger is the served package itself: an A/A check of the shadow path, so every shadow answer
/// must agree with the served one (the same graph on the same decoded image). The benchmark fails (exit 1) when the
/// shadow answered nothing or agreed on less than 100 %. <c>--challenger</c> serves another package as the shadow
/// (agreement is then reported, not checked).
/// </para>
/// </summary>
internal static class ShadowBenchmark
{
    public static async Task<int> RunAsync(int seconds, int rounds, int concurrency, string? model, string? challengerArg, string shadowRate)
    {
        Console.WriteLine($"Shadow benchmark · {Environment.ProcessorCount} cores · load average at start: {ServingBenchmark.LoadAverage()}");
        var work = Path.Combine(Path.GetTempPath(), $"drywet-bench-shadow-{Guid.NewGuid():N}");
        Directory.CreateDirectory(work);
        try
        {
            var package = model ?? ServingBenchmark.CreateB3LikePackage(work);
            var challenger = challengerArg ?? package;
            var sameGraph = challengerArg is null;
            var image = BenchmarkImages.Road(1280, 720);
            using var wrk = WrkLoad.TryCreate(image) ?? throw new InvalidOperationException("wrk is not on PATH: apt-get install wrk");
            await using var off = await StartAsync(work, "off", package, challenger, new() { ["Model__Shadow"] = "off" });
            await using var on = await StartAsync(work, "on", package, challenger, new() { ["Model__Shadow"] = "auto", ["Serving__Shadow__SampleRate"] = shadowRate });
            using var offClient = new HttpClient { BaseAddress = off.Address, Timeout = TimeSpan.FromSeconds(120) };
            using var onClient = new HttpClient { BaseAddress = on.Address, Timeout = TimeSpan.FromSeconds(120) };
            await WaitForShadowAsync(onClient);
            Console.WriteLine($"Model: {model ?? "EfficientNet-B3-shaped random graph at 300 px"}; shadow: {(sameGraph ? "the same package (A/A: every answer must agree)" : challenger)}; image 1280×720 JPEG ({image.Length / 1024} KB); " +
                $"shadow sample rate {shadowRate}; p50 over {seconds} s at 1 client, wrk -c {concurrency} for {seconds} s, per phase");

            foreach (var server in new[] { off, on })
            {
                await ServingBenchmark.MeasureLoadAsync(wrk, null!, server.Address, image, concurrency, Math.Max(3, seconds / 2));
            }

            var results = new List<(double P50Off, double P50On, double Off, double On)>();
            var failed = 0;
            for (var round = 1; round <= rounds; round++)
            {
                // Alternate the order (A B, B A, ...) so that load from other processes hits both alike.
                var offFirst = round % 2 == 1;
                var a = await PhaseAsync(wrk, offFirst ? off : on, offFirst ? offClient : onClient, image, concurrency, seconds);
                var b = await PhaseAsync(wrk, offFirst ? on : off, offFirst ? onClient : offClient, image, concurrency, seconds);
                var (offPhase, onPhase) = offFirst ? (a, b) : (b, a);
                failed += offPhase.Failed + onPhase.Failed;
                results.Add((offPhase.P50, onPhase.P50, offPhase.ImagesPerSecond, onPhase.ImagesPerSecond));
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"round {round}: p50 off {offPhase.P50:F1} ms, on {onPhase.P50:F1} ms ({onPhase.P50 / offPhase.P50:F3}) | c={concurrency} off {offPhase.ImagesPerSecond:F2} img/s, " +
                    $"on {onPhase.ImagesPerSecond:F2} img/s ({onPhase.ImagesPerSecond / offPhase.ImagesPerSecond:F3}) | load {ServingBenchmark.LoadAverage()}"));
            }

            double Median(Func<(double P50Off, double P50On, double Off, double On), double> f) => results.Select(f).Order().ElementAt(results.Count / 2);
            Console.WriteLine();
            Console.WriteLine($"| measure (median of rounds) | shadow off | shadow on (rate {shadowRate}) | on ÷ off | target |");
            Console.WriteLine("|---|---|---|---|---|");
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"| /predict p50, 1 client | {Median(r => r.P50Off):F1} ms | {Median(r => r.P50On):F1} ms | {Median(r => r.P50On / r.P50Off):F3} (rounds {string.Join(", ", results.Select(r => (r.P50On / r.P50Off).ToString("F2", CultureInfo.InvariantCulture)))}) | ≤ 1.05 |"));
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"| /predict throughput, {concurrency} wrk clients | {Median(r => r.Off):F2} img/s | {Median(r => r.On):F2} img/s | {Median(r => r.On / r.Off):F3} (rounds {string.Join(", ", results.Select(r => (r.On / r.Off).ToString("F2", CultureInfo.InvariantCulture)))}) | |"));
            var metrics = await onClient.GetStringAsync("/metrics");
            var answers = Sum(metrics, "drywet_shadow_agreement_total{");
            var agreeing = Sum(metrics, "drywet_shadow_agreement_total{", label: "agree=\"true\"");
            var agreement = answers > 0 ? agreeing / answers : double.NaN;
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"Shadow answers: {answers} (agreeing {agreeing}: {agreement:P1}{(sameGraph ? ", A/A: must be 100 %" : "")}); ") +
                $"dropped: {string.Join(", ", Reasons(metrics))}; failed requests: {failed}; load average at end: {ServingBenchmark.LoadAverage()}");
            var agreementFailed = sameGraph && shadowRate != "0" && !(answers > 0 && agreeing == answers);
            if (agreementFailed)
            {
                Console.WriteLine(answers > 0
                    ? $"FAILED: the shadow ran the served graph but disagreed on {answers - agreeing} of {answers} images."
                    : "FAILED: the shadow answered no image, so the A/A agreement was not checked.");
            }

            return failed == 0 && !agreementFailed ? 0 : 1;
        }
        finally
        {
            Directory.Delete(work, recursive: true);
        }
    }

    /// <summary>A server on its own embedded registry: the package as version 1 (production) and the challenger package as version 2 (challenger).</summary>
    private static async Task<ServiceProcess> StartAsync(string work, string name, string package, string challengerPackage, Dictionary<string, string> environment)
    {
        var home = Path.Combine(work, name);
        var registry = new EmbeddedModelRegistry(Path.Combine(home, "mlruns"), NullLogger<EmbeddedModelRegistry>.Instance);
        var production = await registry.RegisterAsync("dry_wet_model", Path.GetFullPath(package), runId: null);
        await registry.PromoteAsync("dry_wet_model", production.Version);
        var challenger = await registry.RegisterAsync("dry_wet_model", Path.GetFullPath(challengerPackage), runId: null);
        await registry.SetAliasAsync("dry_wet_model", "challenger", challenger.Version);
        environment["Model__Path"] = "";
        environment["DryWet__Home"] = home;
        return await ServiceProcess.StartServingAsync(package, inheritSettings: true, environment: environment);
    }

    private static async Task WaitForShadowAsync(HttpClient client)
    {
        var deadline = DateTime.UtcNow.AddMinutes(2);
        while ((await client.GetFromJsonAsync<JsonElement>("/model/info")).GetProperty("shadow").ValueKind != JsonValueKind.Object)
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new InvalidOperationException("The shadow did not load within 2 minutes: see the server's log.");
            }

            await Task.Delay(200);
        }
    }

    private static async Task<(double P50, double ImagesPerSecond, int Failed)> PhaseAsync(WrkLoad wrk, ServiceProcess server, HttpClient client,
        byte[] image, int concurrency, int seconds)
    {
        // Shadow work left from the previous phase is answered or expired (Serving:Shadow:MaxWait, 2 s) by now.
        await Task.Delay(TimeSpan.FromSeconds(2.5));
        var (p50, _, _, _) = await ServingBenchmark.MeasureLatencyAsync(client, image, seconds);
        var (throughput, failed, _) = await ServingBenchmark.MeasureLoadAsync(wrk, null!, server.Address, image, concurrency, seconds);
        return (p50, throughput, failed);
    }

    /// <summary>
    /// The sum of a counter's series, optionally only those carrying <paramref name="label"/>. Labels are matched
    /// anywhere in the set: the exporter writes <c>otel_scope_name</c> (and the like) before the metric's own labels.
    /// </summary>
    private static double Sum(string metrics, string prefix, string? label = null) => metrics.Split('\n')
        .Where(l => l.StartsWith(prefix, StringComparison.Ordinal))
        .Where(l => label is null || l[prefix.Length..l.LastIndexOf('}')].Split(',').Contains(label))
        .Sum(l => double.Parse(l[(l.LastIndexOf('}') + 1)..].Trim().Split(' ')[0], CultureInfo.InvariantCulture));

    private static IEnumerable<string> Reasons(string metrics)
    {
        var lines = metrics.Split('\n').Where(l => l.StartsWith("drywet_shadow_dropped_total{", StringComparison.Ordinal)).ToList();
        return lines.Count == 0 ? ["none"] : lines.Select(l => l["drywet_shadow_dropped_total".Length..].Trim());
    }
}

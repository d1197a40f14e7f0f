using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;

namespace DryWet.Benchmarks.Serving;

/// <summary>
/// <c>dotnet DryWet.Benchmarks.dll serving-memory [--model &lt;package dir&gt;] [--precision fp32|int8] [--seconds 10] [--clients 16,64]</c>
/// Issue 22's memory check: serving's resident memory (VmRSS) after the first few sequential requests, then after each
/// client count (load from an in-process client, 1280×720 road JPEGs), with the peak (VmHWM, reset at each phase where
/// the kernel allows it) of each phase; the ratios against the target (≤ 1.5× the first), and the Kubernetes memory
/// request and limit the measured figures call for (request: the highest RSS after a phase; limit: the highest peak ×
/// 1.25 for reloads and bursts), rounded up to 64 Mi — what <c>DryWet.AppHost</c> publishes should follow them.
/// Exit 0 within the target, 1 beyond it or with failed requests.
/// </summary>
internal static class MemoryBenchmark
{
    private const int SequentialRequests = 5;
    private const double Target = 1.5;

    public static async Task<int> RunAsync(string[] args)
    {
        var arguments = new BenchmarkArguments(args);
        var seconds = arguments.Int("--seconds", 10);
        var clientCounts = arguments.Ints("--clients", "16,64");
        var precision = arguments.String("--precision");
        var environment = new Dictionary<string, string>();
        if (precision is not null)
        {
            if (precision is not ("fp32" or "int8"))
            {
                throw new BenchmarkArgumentException($"--precision '{precision}' is not valid: use fp32 or int8.");
            }

            environment["Model__Precision"] = precision;
        }

        Console.WriteLine($"DryWet serving memory · {Environment.ProcessorCount} cores · load average at start: {ServingBenchmark.LoadAverage()}");
        var work = Path.Combine(Path.GetTempPath(), $"drywet-memory-{Guid.NewGuid():N}");
        Directory.CreateDirectory(work);
        try
        {
            var packageDir = arguments.String("--model") ?? ServingBenchmark.CreateB3LikePackage(work);
            Console.WriteLine($"Model: {packageDir}, precision: {precision ?? "the server's default"}");
            var image = BenchmarkImages.Road(1280, 720);
            await using var server = await ServiceProcess.StartServingAsync(packageDir, environment);
            using var client = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = 256 }) { BaseAddress = server.Address, Timeout = TimeSpan.FromSeconds(120) };

            var failed = 0;
            for (var i = 0; i < SequentialRequests; i++)
            {
                failed += await PredictAsync(client, image) ? 0 : 1;
            }

            await Task.Delay(1000);
            var first = server.ResidentMegabytes();
            Console.WriteLine(Invariant($"after {SequentialRequests} sequential requests: RSS {first:F0} MB (peak so far {server.PeakResidentMegabytes():F0} MB)"));
            Console.WriteLine("| clients | answered 200 | other answers | RSS after | × first | peak (VmHWM) | × first |");
            Console.WriteLine("|---|---|---|---|---|---|---|");
            var worst = 0.0;
            var highestRss = first;
            var highestPeak = server.PeakResidentMegabytes();
            foreach (var clients in clientCounts)
            {
                var peakReset = server.ResetPeak();
                var (ok, other) = await LoadAsync(client, image, clients, seconds);
                failed += other.Where(o => o.Key != HttpStatusCode.ServiceUnavailable).Sum(o => o.Value);
                await Task.Delay(1000);
                var after = server.ResidentMegabytes();
                var peak = server.PeakResidentMegabytes();
                highestRss = Math.Max(highestRss, after);
                highestPeak = Math.Max(highestPeak, peak);
                worst = Math.Max(worst, after / first);
                var others = string.Join(", ", other.Select(o => $"{o.Value} × {(int)o.Key}"));
                Console.WriteLine(Invariant($"| {clients} | {ok} | {(others.Length == 0 ? "none" : others)} | {after:F0} MB | {after / first:F2} | {peak:F0} MB{(peakReset ? "" : " (since start)")} | {peak / first:F2} |"));
            }

            Console.WriteLine(Invariant($"Worst RSS-after ratio {worst:F2} (target ≤ {Target}); load average at end: {ServingBenchmark.LoadAverage()}"));
            Console.WriteLine(Invariant($"Kubernetes memory for these figures: request {RoundUpMi(highestRss)}Mi, limit {RoundUpMi(highestPeak * 1.25)}Mi"));
            Console.WriteLine("(DryWet.AppHost's serving WithKubernetesResources; add what `serving --reloads` shows reloads need).");
            return worst <= Target && failed == 0 ? 0 : 1;
        }
        finally
        {
            Directory.Delete(work, recursive: true);
        }
    }

    private static int RoundUpMi(double megabytes) => (int)(Math.Ceiling(megabytes * 1_000_000 / 1_048_576 / 64) * 64);

    private static async Task<(int Ok, Dictionary<HttpStatusCode, int> Other)> LoadAsync(HttpClient client, byte[] image, int clients, int seconds)
    {
        var ok = 0;
        var other = new Dictionary<HttpStatusCode, int>();
        var watch = Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, clients).Select(async _ =>
        {
            while (watch.Elapsed.TotalSeconds < seconds)
            {
                var status = await StatusOfAsync(client, image);
                lock (other)
                {
                    if (status == HttpStatusCode.OK)
                    {
                        ok++;
                    }
                    else
                    {
                        other[status] = other.GetValueOrDefault(status) + 1;
                    }
                }

                if (status == HttpStatusCode.ServiceUnavailable)
                {
                    await Task.Delay(100); // as a client honouring Retry-After would, a little sooner
                }
            }
        }));
        return (ok, other);
    }

    private static async Task<bool> PredictAsync(HttpClient client, byte[] image) => await StatusOfAsync(client, image) == HttpStatusCode.OK;

    private static async Task<HttpStatusCode> StatusOfAsync(HttpClient client, byte[] image)
    {
        var content = new ByteArrayContent(image);
        content.Headers.ContentType = new MediaTypeHeaderValue("image/jpeg");
        using var form = new MultipartFormDataContent { { content, "file", "frame.jpg" } };
        try
        {
            using var response = await client.PostAsync("/predict", form);
            await response.Content.ReadAsByteArrayAsync();
            return response.StatusCode;
        }
        catch (HttpRequestException)
        {
            return 0;
        }
    }

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}

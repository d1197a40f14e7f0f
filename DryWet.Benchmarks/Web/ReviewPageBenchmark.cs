using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text.Json;
using System.Text.RegularExpressions;
using DryWet.Benchmarks.Serving;
using DryWet.Core.Feedback;
using DryWet.Core.Storage;

namespace DryWet.Benchmarks.Web;

/// <summary>
/// <c>review-page [--predictions 10000] [--rounds 20] [--web-dll PATH]</c>: the review page at a large prediction log.
/// Writes N logged predictions (800×600 JPEGs) into an embedded store in a temp folder, starts the built DryWet.Web
/// (Release) on it, signs in through the form, and times, per round, the page (<c>GET /review</c>: 60 cards) and the
/// page plus its 60 thumbnails fetched six at a time, as a browser does. The first (cold) round — every record parsed,
/// every thumbnail decoded — is reported on its own. Target: a 60-card page ≤ 300 ms at 10,000 predictions.
/// </summary>
internal static partial class ReviewPageBenchmark
{
    public static async Task<int> RunAsync(string[] args)
    {
        var arguments = new BenchmarkArguments(args);
        var count = arguments.Int("--predictions", 10_000);
        var rounds = arguments.Int("--rounds", 20);
        var dll = arguments.String("--web-dll") ?? Path.Combine(RepositoryRoot(), "DryWet.Web", "bin", "Release", "net10.0", "linux-x64", "DryWet.Web.dll");
        if (!File.Exists(dll))
        {
            throw new BenchmarkArgumentException($"{dll} is missing: dotnet build DryWet.Web -c Release (or pass --web-dll).");
        }

        Console.WriteLine($"Review-page benchmark · {count:N0} logged predictions · {Environment.ProcessorCount} cores · load average at start: {ServingBenchmark.LoadAverage()}");
        var home = Path.Combine(Path.GetTempPath(), $"drywet-bench-review-{Guid.NewGuid():N}");
        try
        {
            var seeding = Stopwatch.StartNew();
            await SeedAsync(new EmbeddedObjectStore(Path.Combine(home, "objects")), count);
            Console.WriteLine($"Seeded in {seeding.Elapsed.TotalSeconds:F1} s");

            var key = Convert.ToHexString(RandomNumberGenerator.GetBytes(16));
            using var web = await WebProcess.StartAsync(dll, home, key);
            using var client = await SignedInClientAsync(web.Address, key);

            var (coldPage, coldAll) = await RoundAsync(client, count);
            Console.WriteLine($"Cold (every record parsed, 60 thumbnails decoded): page {coldPage:F0} ms, page + thumbnails {coldAll:F0} ms");
            var pages = new List<double>();
            var totals = new List<double>();
            for (var i = 0; i < rounds; i++)
            {
                var (page, all) = await RoundAsync(client, count);
                pages.Add(page);
                totals.Add(all);
            }

            Console.WriteLine($"Warm, {rounds} rounds: GET /review p50 {Percentile(pages, 0.5):F1} ms, p95 {Percentile(pages, 0.95):F1} ms; " +
                              $"page + 60 thumbnails p50 {Percentile(totals, 0.5):F1} ms, p95 {Percentile(totals, 0.95):F1} ms (target ≤ 300 ms)");
            Console.WriteLine($"Web process peak RSS {web.PeakResidentMegabytes():F0} MB");
            return 0;
        }
        finally
        {
            try
            {
                Directory.Delete(home, recursive: true);
            }
            catch (IOException)
            {
            }
        }
    }

    private static async Task SeedAsync(IObjectStore store, int count)
    {
        await store.EnsureBucketAsync(PredictionLogLayout.Bucket);
        var image = BenchmarkImages.Road(800, 600); // each prediction's image is a file in the temp folder: 10,000 copies
        var start = DateTimeOffset.UtcNow;
        await Parallel.ForEachAsync(Enumerable.Range(0, count), new ParallelOptions { MaxDegreeOfParallelism = Environment.ProcessorCount }, async (i, ct) =>
        {
            var time = start.AddSeconds(-i);
            var id = $"bench{i:D6}";
            var confidence = 0.5f + (i * 7919 % 500) / 1000f;
            var record = new PredictionLogRecord(id, time, "dry_wet_model", "1", i % 2 == 0 ? "wet" : "dry",
                new Dictionary<string, float> { [i % 2 == 0 ? "wet" : "dry"] = confidence, [i % 2 == 0 ? "dry" : "wet"] = 1 - confidence },
                "image/jpeg", image.Length, null);
            await store.UploadAsync(PredictionLogLayout.Bucket, PredictionLogLayout.ImageKey(time, id, "jpg"), image, "image/jpeg", ct);
            await store.UploadAsync(PredictionLogLayout.Bucket, PredictionLogLayout.RecordKey(time, id),
                JsonSerializer.SerializeToUtf8Bytes(record, PredictionLogRecord.Json), "application/json", ct);
        });
    }

    /// <summary>
    /// One page view: the page (checked to show 60 cards of all <paramref name="count"/> predictions), then its thumbnails
    /// six at a time. Milliseconds for the page and for everything.
    /// </summary>
    private static async Task<(double Page, double All)> RoundAsync(HttpClient client, int count)
    {
        var started = Stopwatch.GetTimestamp();
        var html = await client.GetStringAsync("review");
        var page = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
        var thumbnails = Thumbnail().Matches(html).Select(m => WebUtility.HtmlDecode(m.Groups["src"].Value)).ToList();
        if (thumbnails.Count != 60)
        {
            throw new InvalidOperationException($"The review page shows {thumbnails.Count} thumbnails, not 60.");
        }

        if (!html.Contains($"60 of {count} shown", StringComparison.Ordinal))
        {
            throw new InvalidOperationException($"The review page does not say it shows 60 of {count} logged predictions.");
        }

        await Parallel.ForEachAsync(thumbnails, new ParallelOptions { MaxDegreeOfParallelism = 6 }, async (src, ct) =>
        {
            using var response = await client.GetAsync(src, ct);
            if (response.StatusCode != HttpStatusCode.OK)
            {
                throw new InvalidOperationException($"{src}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync(ct)}");
            }

            await response.Content.ReadAsByteArrayAsync(ct);
        });
        return (page, Stopwatch.GetElapsedTime(started).TotalMilliseconds);
    }

    private static async Task<HttpClient> SignedInClientAsync(Uri address, string key)
    {
        var client = new HttpClient(new HttpClientHandler { CookieContainer = new CookieContainer(), AllowAutoRedirect = false }) { BaseAddress = address };
        var form = await client.GetStringAsync("signin");
        var token = WebUtility.HtmlDecode(Antiforgery().Match(form).Groups["token"].Value);
        using var response = await client.PostAsync("account/signin", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["__RequestVerificationToken"] = token, ["key"] = key, ["reviewer"] = "benchmark", ["returnUrl"] = "review",
        }));
        if (response.StatusCode != HttpStatusCode.Redirect || response.Headers.Location?.OriginalString != "/review")
        {
            throw new InvalidOperationException($"Sign-in failed: {(int)response.StatusCode} {response.Headers.Location}");
        }

        return client;
    }

    private static double Percentile(List<double> values, double q)
    {
        var sorted = values.Order().ToList();
        return sorted[Math.Min(sorted.Count - 1, (int)Math.Ceiling(q * sorted.Count) - 1)];
    }

    private static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "DryWet.sln")))
            {
                return dir.FullName;
            }
        }

        throw new BenchmarkArgumentException("Cannot find the repository (DryWet.sln) above the benchmark; pass --web-dll.");
    }

    [GeneratedRegex("<img src=\"(?<src>review/thumbnails/[^\"]+)\"")]
    private static partial Regex Thumbnail();

    [GeneratedRegex("name=\"__RequestVerificationToken\"[^>]*value=\"(?<token>[^\"]+)\"")]
    private static partial Regex Antiforgery();

    /// <summary>The built DryWet.Web on a free loopback port over the seeded home; the admin key only in its environment.</summary>
    private sealed class WebProcess(Process process, Uri address) : IDisposable
    {
        public Uri Address { get; } = address;

        public static async Task<WebProcess> StartAsync(string dll, string home, string key)
        {
            using var probe = new TcpListener(IPAddress.Loopback, 0);
            probe.Start();
            var port = ((IPEndPoint)probe.LocalEndpoint).Port;
            probe.Stop();
            var address = new Uri($"http://127.0.0.1:{port}/");
            var project = Path.GetFullPath(Path.Combine(Path.GetDirectoryName(dll)!, "..", "..", "..", ".."));
            var start = new ProcessStartInfo("dotnet", [dll, "--contentRoot", project])
            {
                UseShellExecute = false,
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                WorkingDirectory = project,
            };
            start.Environment["ASPNETCORE_URLS"] = address.ToString().TrimEnd('/');
            start.Environment["ASPNETCORE_ENVIRONMENT"] = "Production";
            start.Environment["Logging__LogLevel__Default"] = "Warning";
            start.Environment["DryWet__Home"] = home;
            start.Environment["Web__AdminApiKey"] = key;
            start.Environment["Web__ServingUrl"] = "http://127.0.0.1:9"; // the review page does not call serving
            foreach (var inherited in start.Environment.Keys.Where(k => k.StartsWith("ConnectionStrings__", StringComparison.Ordinal)).ToList())
            {
                start.Environment.Remove(inherited);
            }

            var started = Process.Start(start) ?? throw new InvalidOperationException("Could not start DryWet.Web.");
            started.OutputDataReceived += (_, _) => { };
            started.ErrorDataReceived += (_, _) => { };
            started.BeginOutputReadLine();
            started.BeginErrorReadLine();
            var web = new WebProcess(started, address);
            using var client = new HttpClient { BaseAddress = address };
            for (var deadline = DateTime.UtcNow.AddMinutes(2); DateTime.UtcNow < deadline; await Task.Delay(200))
            {
                if (started.HasExited)
                {
                    throw new InvalidOperationException($"DryWet.Web exited with code {started.ExitCode}.");
                }

                try
                {
                    if ((await client.GetAsync("signin")).IsSuccessStatusCode)
                    {
                        return web;
                    }
                }
                catch (HttpRequestException)
                {
                }
            }

            web.Dispose();
            throw new InvalidOperationException("DryWet.Web did not answer within 2 minutes.");
        }

        public double PeakResidentMegabytes() =>
            File.ReadLines($"/proc/{process.Id}/status").Where(l => l.StartsWith("VmHWM:", StringComparison.Ordinal))
                .Select(l => double.Parse(l["VmHWM:".Length..].Trim().Split(' ')[0], CultureInfo.InvariantCulture) / 1024).FirstOrDefault();

        public void Dispose()
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
                process.WaitForExit();
            }

            process.Dispose();
        }
    }
}

using System.Diagnostics;
using System.Security.Cryptography;
using DryWet.Core.Configuration;
using DryWet.Core.Packaging;

namespace DryWet.Benchmarks.Abuse;

/// <summary>
/// The processes under test and the clients that abuse them: DryWet.Serving (with its defaults, the package given or
/// the tiny model, and a random admin key for the reloads, passed in its environment, never printed) and DryWet.Web
/// (its defaults, an empty embedded home and serving's address), both real child processes on loopback.
/// </summary>
internal sealed class AbuseRun : IAsyncDisposable
{
    private readonly AbuseOptions _options;
    private readonly HttpClient _load;
    private readonly HttpClient _probe;

    private AbuseRun(AbuseOptions options, ServiceProcess serving, ServiceProcess web, string webHome, HttpClient load, HttpClient probe, AbuseRequests requests)
    {
        _options = options;
        Serving = serving;
        Web = web;
        WebHome = webHome;
        _load = load;
        _probe = probe;
        Requests = requests;
    }

    public ServiceProcess Serving { get; }
    public ServiceProcess Web { get; }
    public string WebHome { get; }
    public AbuseRequests Requests { get; }

    public static async Task<AbuseRun> StartAsync(AbuseOptions options, string work)
    {
        var package = options.Model ?? WriteTinyPackage(Path.Combine(work, "package"));
        var adminKey = Convert.ToHexString(RandomNumberGenerator.GetBytes(24));
        var webHome = Path.Combine(work, "web-home");
        Directory.CreateDirectory(webHome);
        ServiceProcess? serving = null;
        ServiceProcess? web = null;
        try
        {
            serving = await ServiceProcess.StartServingAsync(package, new Dictionary<string, string> { ["Serving__AdminApiKey"] = adminKey });
            web = await ServiceProcess.StartWebAsync(new Dictionary<string, string>
            {
                ["DryWet__Home"] = webHome,
                ["Web__ServingUrl"] = serving.Address.ToString(),
            });
            // No cookies, no redirects followed: every answer is counted as the server gave it.
            var load = new HttpClient(new SocketsHttpHandler { UseCookies = false, AllowAutoRedirect = false, MaxConnectionsPerServer = 4096 })
            {
                Timeout = TimeSpan.FromSeconds(options.RequestTimeoutSeconds),
            };
            var probe = new HttpClient(new SocketsHttpHandler { UseCookies = false, AllowAutoRedirect = false }) { Timeout = Timeout.InfiniteTimeSpan };
            var requests = await AbuseRequests.CreateAsync(load, serving.Address, web.Address, adminKey);
            return new AbuseRun(options, serving, web, webHome, load, probe, requests);
        }
        catch
        {
            if (web is not null)
            {
                await web.DisposeAsync();
            }

            if (serving is not null)
            {
                await serving.DisposeAsync();
            }

            throw;
        }
    }

    /// <summary>Runs one scenario for <paramref name="duration"/> with both processes probed and sampled, then the recovery request.</summary>
    public async Task<ScenarioResult> RunAsync(AbuseScenario scenario, TimeSpan duration)
    {
        await using var servingAlive = AliveProber.Start(_probe, Serving.Address);
        await using var webAlive = AliveProber.Start(_probe, Web.Address);
        await using var servingMemory = MemorySampler.Start(Serving);
        await using var webMemory = MemorySampler.Start(Web);
        var requests = new StatusMix();
        var latencies = new Latencies();
        var reloads = scenario.Reloads > 0 ? new StatusMix() : null;
        var thumbnails = scenario.Thumbnails is { Count: > 0 } ? new StatusMix() : null;
        var watch = Stopwatch.StartNew();
        await Task.WhenAll(
            LoadClients.RunAsync(_load, scenario.Request, scenario.Clients, duration, scenario.MaxPerClient, requests, latencies, CancellationToken.None),
            reloads is null ? Task.CompletedTask : ReloadAsync(scenario.Reloads, duration, reloads),
            thumbnails is null ? Task.CompletedTask : Task.WhenAll(scenario.Thumbnails!.Select(bomb =>
                LoadClients.SendAsync(_load, Requests.Thumbnail(bomb), thumbnails, null, CancellationToken.None))));
        var seconds = watch.Elapsed.TotalSeconds;
        var servingAliveReport = await servingAlive.StopAsync(_options.Limits.AliveP99Ms);
        var webAliveReport = await webAlive.StopAsync(_options.Limits.AliveP99Ms);
        var servingMemoryReport = await servingMemory.StopAsync();
        var webMemoryReport = await webMemory.StopAsync();
        var recovery = await RecoverAsync();
        var violations = AbuseVerdict.Check(scenario, requests, reloads, thumbnails, servingAliveReport, webAliveReport, servingMemoryReport,
            webMemoryReport, recovery, _options.Limits);
        return new ScenarioResult(scenario.Name, scenario.Description, scenario.Target, scenario.Clients, Math.Round(seconds, 2), requests.ToReport(),
            latencies.ToReport(_options.Limits.AliveP99Ms), reloads?.ToReport(), thumbnails?.ToReport(), servingAliveReport, webAliveReport,
            servingMemoryReport, webMemoryReport, recovery, violations);
    }

    /// <summary><paramref name="count"/> reloads, one at a time, spread evenly over the duration.</summary>
    private async Task ReloadAsync(int count, TimeSpan duration, StatusMix reloads)
    {
        var spacing = duration / (count + 1);
        for (var i = 0; i < count; i++)
        {
            await Task.Delay(spacing);
            using var message = Requests.Reload();
            await LoadClients.SendAsync(_load, message, reloads, null, CancellationToken.None);
        }
    }

    /// <summary>One valid upload right after the abuse: does serving answer at once?</summary>
    private async Task<RecoveryReport> RecoverAsync()
    {
        var mix = new StatusMix();
        var started = Stopwatch.GetTimestamp();
        using var message = Requests.Predict(Requests.Jpeg);
        var status = await LoadClients.SendAsync(_load, message, mix, null, CancellationToken.None);
        return new RecoveryReport(status, Math.Round(Stopwatch.GetElapsedTime(started).TotalMilliseconds, 1));
    }

    private static string WriteTinyPackage(string directory)
    {
        var onnx = Path.Combine(Path.GetTempPath(), $"drywet-abuse-tiny-{Guid.NewGuid():N}.onnx");
        File.WriteAllBytes(onnx, TinyClassifierGraph.Build());
        try
        {
            var config = DryWetConfig.Default;
            config.Training.ImgSize = TinyClassifierGraph.Size;
            return ModelPackage.Write(directory, new ModelPackageContents(onnx, config, ["dry", "wet"], new Dictionary<string, double>(),
                new Dictionary<string, string>(), InputName: TinyClassifierGraph.InputName, OutputName: TinyClassifierGraph.OutputName)).Directory;
        }
        finally
        {
            File.Delete(onnx);
        }
    }

    public async ValueTask DisposeAsync()
    {
        _load.Dispose();
        _probe.Dispose();
        await Web.DisposeAsync();
        await Serving.DisposeAsync();
    }
}

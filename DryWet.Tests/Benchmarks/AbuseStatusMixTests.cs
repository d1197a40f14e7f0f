using System.Net;
using DryWet.Benchmarks.Abuse;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Hosting;
using SkiaSharp;

namespace DryWet.Tests.Benchmarks;

/// <summary>
/// The abuse benchmark's measuring parts against a scripted loopback server whose answers are known: every way a
/// request can end lands in exactly one count, and the failures are the ones issue 19 does not allow. Also: the bombs
/// are what the table says they are.
/// </summary>
public sealed class AbuseStatusMixTests : IAsyncLifetime
{
    private WebApplication? _server;
    private Uri _address = default!;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        _server = builder.Build();
        _server.MapGet("/status/{code:int}", (int code, HttpContext context) =>
        {
            context.Response.StatusCode = code;
            if (context.Request.Query.ContainsKey("retryAfter"))
            {
                context.Response.Headers.RetryAfter = "1";
            }

            if (code is >= 300 and < 400)
            {
                context.Response.Headers.Location = "/signin";
            }
        });
        _server.MapGet("/abort", (HttpContext context) => context.Abort());
        _server.MapGet("/slow", async (CancellationToken aborted) => await Task.Delay(TimeSpan.FromMinutes(1), aborted));
        await _server.StartAsync(Ct);
        _address = new Uri(_server.Urls.First());
    }

    public async ValueTask DisposeAsync()
    {
        if (_server is not null)
        {
            await _server.DisposeAsync();
        }
    }

    [Fact]
    public async Task Every_ending_is_counted_once_and_only_the_disallowed_ones_are_failures()
    {
        using var client = new HttpClient(new SocketsHttpHandler { AllowAutoRedirect = false, UseCookies = false }) { Timeout = TimeSpan.FromSeconds(60) };
        using var impatient = new HttpClient { Timeout = TimeSpan.FromSeconds(1) };
        var mix = new StatusMix();
        var latencies = new Latencies();
        string[] paths =
        [
            "/status/200", "/status/204", "/status/302", "/status/400", "/status/413", "/status/429", "/status/503?retryAfter=1",
            "/status/503", "/status/500", "/status/502", "/abort", "/slow",
        ];
        var statuses = new List<int?>();
        foreach (var path in paths)
        {
            using var message = new HttpRequestMessage(HttpMethod.Get, new Uri(_address, path));
            statuses.Add(await LoadClients.SendAsync(path == "/slow" ? impatient : client, message, mix, latencies, Ct));
        }

        statuses.ShouldBe([200, 204, 302, 400, 413, 429, 503, 503, 500, 502, null, null]);
        var report = mix.ToReport();
        report.ShouldBe(new StatusMixReport(Total: 12, Status2xx: 2, Status3xx: 1, Status4xx: 2, Status429: 1, Status503WithRetryAfter: 1,
            Status503WithoutRetryAfter: 1, Status5xxOther: 2, ConnectionErrors: 1, Timeouts: 1));
        // 503 without Retry-After, 500, 502, the aborted connection, the timeout; the redirect only where not allowed.
        mix.Failures(redirectAllowed: true).ShouldBe(5);
        mix.Failures(redirectAllowed: false).ShouldBe(6);
        latencies.ToReport(1000).Count.ShouldBe(10, "answered requests have a latency; the abort and the timeout have none");
    }

    [Fact]
    public async Task The_clients_stop_at_their_count_and_at_the_deadline()
    {
        using var client = new HttpClient { Timeout = TimeSpan.FromSeconds(30) };
        var counted = new StatusMix();
        await LoadClients.RunAsync(client, (_, _) => new HttpRequestMessage(HttpMethod.Get, new Uri(_address, "/status/200")), clients: 3,
            TimeSpan.FromMinutes(1), maxPerClient: 4, counted, new Latencies(), Ct);
        counted.ToReport().ShouldBe(new StatusMixReport(12, 12, 0, 0, 0, 0, 0, 0, 0, 0));

        // A zero duration: no client sends anything.
        var none = new StatusMix();
        await LoadClients.RunAsync(client, (_, _) => new HttpRequestMessage(HttpMethod.Get, new Uri(_address, "/status/200")), clients: 3,
            TimeSpan.Zero, maxPerClient: 4, none, new Latencies(), Ct);
        none.Total.ShouldBe(0);
    }

    [Fact]
    public void The_bombs_are_tiny_files_that_declare_8000_by_8000()
    {
        var bmp = HostileImages.Rle8BmpBomb();
        var png = HostileImages.PngBomb();

        bmp.Length.ShouldBe(60);
        png.Length.ShouldBeInRange(150_000, 220_000);
        foreach (var (bytes, format) in new[] { (bmp, SKEncodedImageFormat.Bmp), (png, SKEncodedImageFormat.Png) })
        {
            using var codec = SKCodec.Create(new SKMemoryStream(bytes));
            codec.ShouldNotBeNull($"{format} bomb must open as an image");
            codec.EncodedFormat.ShouldBe(format);
            (codec.Info.Width, codec.Info.Height).ShouldBe((8000, 8000));
        }

        HostileImages.EmptyOipRequest("input", 64, 96, 96).ShouldBe("""{"inputs":[{"name":"input","shape":[64,3,96,96],"datatype":"FP32","data":[]}]}""");
    }
}

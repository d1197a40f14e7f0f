using System.Net;
using System.Text.Json;
using DryWet.Serving.Inference;
using DryWet.Tests.Training;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace DryWet.Tests.Serving;

/// <summary>
/// Admission control in front of inference: at most <c>Serving:MaxQueuedRequests</c> requests wait for a run, each at
/// most <c>Serving:QueueTimeout</c>; beyond either, 503 with <c>Retry-After</c>, counted by reason. A stopping server
/// refuses new connections but finishes what it accepted. The run is held open with the batcher's delay
/// (<c>Model:MaxBatchDelayMilliseconds</c>): the first request's runner waits that long for company before it runs.
/// </summary>
public sealed class InferenceQueueTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static async Task<(ServingApp App, HttpClient Client, TempFolder Folder)> StartHeldServerAsync(int maxQueued, string queueTimeout)
    {
        var folder = new TempFolder();
        var package = TestModels.WritePackage(folder.Sub("package"), TestModels.BlueVersusRed(), imgSize: 16);
        var (app, client) = await ServingApp.StartAsync(new Dictionary<string, string?>
        {
            ["Model:Path"] = package,
            ["Model:MaxBatchDelayMilliseconds"] = "8000",
            ["Model:MaxBatchSize"] = "8", // a batch of one queued image is not full: the runner waits
            ["Serving:MaxQueuedRequests"] = maxQueued.ToString(),
            ["Serving:QueueTimeout"] = queueTimeout,
        });
        return (app, client, folder);
    }

    private static Task<HttpResponseMessage> PredictAsync(HttpClient client) =>
        client.PostAsync("/predict", ServingApp.ImageForm(TestImages.Road(wet: true)), Ct);

    private static async Task WaitForQueuedAsync(ServingApp app, int count)
    {
        var host = app.Services.GetRequiredService<ModelHost>();
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (host.Current!.QueuedRequests != count)
        {
            DateTime.UtcNow.ShouldBeLessThan(deadline, $"{count} queued requests expected; {host.Current.QueuedRequests} seen.");
            await Task.Delay(10, Ct);
        }
    }

    private static async Task<string> ErrorOfAsync(HttpResponseMessage response) =>
        JsonDocument.Parse(await response.Content.ReadAsStringAsync(Ct)).RootElement.GetProperty("error").GetString()!;

    [Fact]
    public async Task A_full_queue_and_a_wait_past_the_timeout_are_answered_503_with_Retry_After_while_probes_still_answer()
    {
        var (app, client, folder) = await StartHeldServerAsync(maxQueued: 2, queueTimeout: "00:00:03");
        await using var _ = app;
        using var __ = folder;

        var first = PredictAsync(client);
        await WaitForQueuedAsync(app, 1);
        // Inference is held: the probes and the status page do not wait behind it.
        (await client.GetAsync("/alive", Ct)).StatusCode.ShouldBe(HttpStatusCode.OK);
        (await client.GetAsync("/health", Ct)).StatusCode.ShouldBe(HttpStatusCode.OK);
        (await client.GetAsync("/", Ct)).StatusCode.ShouldBe(HttpStatusCode.OK);

        var second = PredictAsync(client);
        await WaitForQueuedAsync(app, 2);
        using var full = await PredictAsync(client);
        full.StatusCode.ShouldBe(HttpStatusCode.ServiceUnavailable);
        full.Headers.RetryAfter!.Delta.ShouldBe(TimeSpan.FromSeconds(1));
        (await ErrorOfAsync(full)).ShouldContain("Serving:MaxQueuedRequests");

        using var timedOut = await second;
        timedOut.StatusCode.ShouldBe(HttpStatusCode.ServiceUnavailable);
        timedOut.Headers.RetryAfter!.Delta.ShouldBe(TimeSpan.FromSeconds(1));
        (await ErrorOfAsync(timedOut)).ShouldContain("Serving:QueueTimeout");

        using var served = await first;
        served.StatusCode.ShouldBe(HttpStatusCode.OK);
        await WaitForQueuedAsync(app, 0);
        await DecodeLimitsApiTests.MetricsShouldCountAsync(client, "drywet_rejected_requests_total{", "reason=\"queue_full\"");
        await DecodeLimitsApiTests.MetricsShouldCountAsync(client, "drywet_rejected_requests_total{", "reason=\"queue_timeout\"");
    }

    [Fact]
    public async Task With_the_queue_full_a_request_is_refused_503_before_its_body_is_read()
    {
        var (app, client, folder) = await StartHeldServerAsync(maxQueued: 1, queueTimeout: "00:00:30");
        await using var _ = app;
        using var __ = folder;

        var first = PredictAsync(client);
        await WaitForQueuedAsync(app, 1);

        // Headers announcing a 10 MB upload, and no body at all: the answer must not wait for it.
        using var tcp = new System.Net.Sockets.TcpClient();
        await tcp.ConnectAsync(client.BaseAddress!.Host, client.BaseAddress.Port, Ct);
        var stream = tcp.GetStream();
        var head = $"POST /predict HTTP/1.1\r\nHost: {client.BaseAddress.Authority}\r\nContent-Type: multipart/form-data; boundary=x\r\nContent-Length: 10000000\r\n\r\n";
        await stream.WriteAsync(System.Text.Encoding.ASCII.GetBytes(head), Ct);
        using var reader = new StreamReader(stream, System.Text.Encoding.ASCII);
        var status = await reader.ReadLineAsync(Ct).AsTask().WaitAsync(TimeSpan.FromSeconds(10), Ct);
        var headers = new List<string>();
        while (await reader.ReadLineAsync(Ct) is { Length: > 0 } line)
        {
            headers.Add(line);
        }

        status.ShouldStartWith("HTTP/1.1 503");
        headers.ShouldContain(h => h.Equals("Retry-After: 1", StringComparison.OrdinalIgnoreCase));

        using var served = await first;
        served.StatusCode.ShouldBe(HttpStatusCode.OK);
    }

    [Fact]
    public async Task A_stopping_server_refuses_new_connections_and_finishes_the_request_it_accepted()
    {
        var (app, client, folder) = await StartHeldServerAsync(maxQueued: 8, queueTimeout: "00:00:30");
        await using var _ = app;
        using var __ = folder;

        var inFlight = PredictAsync(client);
        await WaitForQueuedAsync(app, 1);
        app.Services.GetRequiredService<IHostApplicationLifetime>().StopApplication();

        // A fresh connection is refused once Kestrel stops listening (within the held request's 8 s).
        var deadline = DateTime.UtcNow.AddSeconds(6);
        var refused = false;
        while (!refused && DateTime.UtcNow < deadline)
        {
            using var fresh = new HttpClient { BaseAddress = client.BaseAddress, Timeout = TimeSpan.FromSeconds(5) };
            try
            {
                using var response = await fresh.GetAsync("/alive", Ct);
                await Task.Delay(50, Ct);
            }
            catch (HttpRequestException)
            {
                refused = true;
            }
        }

        refused.ShouldBeTrue("a stopping server must not accept new connections");
        using var drained = await inFlight;
        drained.StatusCode.ShouldBe(HttpStatusCode.OK);
    }
}

using System.Diagnostics.Metrics;
using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using DryWet.Core.Feedback;
using DryWet.Core.Storage;
using DryWet.Serving.Feedback;
using DryWet.Tests.Storage;
using DryWet.Tests.Training;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using SkiaSharp;

namespace DryWet.Tests.Serving;

/// <summary>
/// Serving's prediction log through the real HTTP API: what is sampled, where and in which shape it lands (read back
/// by the web's own reader), and that a broken or slow store or bad input never costs a prediction.
/// </summary>
[Collection(Collection)]
public sealed class PredictionLogTests
{
    /// <summary>
    /// The classes whose servers write prediction logs in this process run one after another: the unlabelled
    /// <c>drywet_prediction_log_*</c> counters on /metrics add up every in-process host's "DryWet.Serving" meter.
    /// </summary>
    public const string Collection = "Prediction log writers";

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static readonly Dictionary<string, string?> LogEverything = new() { ["Serving:PredictionLog:SampleRate"] = "1" };

    [Fact]
    public async Task By_default_the_log_is_off_and_the_store_is_never_touched()
    {
        await using var server = await PredictionLogServer.StartAsync(new Dictionary<string, string?>());

        for (var i = 0; i < 3; i++)
        {
            (await server.PredictAsync(TestImages.Road(wet: true))).Status.ShouldBe(HttpStatusCode.OK);
        }

        await Task.Delay(500, Ct); // the writer would have written within this time at rate 1 (next test: ~10 ms)
        Directory.Exists(Path.Combine(server.Home, "objects")).ShouldBeFalse();
        (await server.MetricAsync("drywet_prediction_log_written_total")).ShouldBe(0);
    }

    [Fact]
    public async Task At_rate_1_every_prediction_is_logged_as_image_and_record_in_its_date_folder_and_the_web_reads_it()
    {
        await using var server = await PredictionLogServer.StartAsync(LogEverything);
        var jpeg = TestImages.Road(wet: true);
        var png = TestImages.Solid(new SKColor(200, 90, 40), size: 24);

        var (status1, body1) = await server.PredictAsync(jpeg);
        // The client's declared type is wrong on purpose: the log names what the bytes are.
        var (status2, body2) = await server.PredictAsync(png, fileName: "frame", contentType: "application/octet-stream");
        status1.ShouldBe(HttpStatusCode.OK);
        status2.ShouldBe(HttpStatusCode.OK);
        await Eventually.TrueAsync(() => server.LoggedFiles().Count == 4, "two images and two records are written");

        var files = server.LoggedFiles();
        var today = DateTime.UtcNow.ToString("yyyy-MM-dd");
        files.ShouldAllBe(f => f.StartsWith(today + "/", StringComparison.Ordinal) || f.StartsWith(DateTime.UtcNow.AddMinutes(-1).ToString("yyyy-MM-dd") + "/", StringComparison.Ordinal));
        var records = files.Where(f => f.EndsWith(".json", StringComparison.Ordinal))
            .Select(f => (File: f, Record: JsonSerializer.Deserialize<PredictionLogRecord>(File.ReadAllText(Path.Combine(server.PredictionsFolder, f)), PredictionLogRecord.Json)!))
            .OrderBy(r => r.Record.Id, StringComparer.Ordinal) // version 7 ids sort by time: the JPEG came first
            .ToList();
        records.Count.ShouldBe(2);

        var (jpegFile, jpegRecord) = records[0];
        Path.GetFileNameWithoutExtension(jpegFile).ShouldBe(jpegRecord.Id);
        jpegRecord.Id.ShouldMatch("^[0-9a-f]{32}$");
        jpegRecord.Time.ShouldBeInRange(DateTimeOffset.UtcNow.AddMinutes(-1), DateTimeOffset.UtcNow);
        jpegFile.ShouldStartWith(jpegRecord.Time.UtcDateTime.ToString("yyyy-MM-dd") + "/");
        jpegRecord.ModelName.ShouldBe("dry_wet_model");
        jpegRecord.ModelVersion.ShouldBe("7");
        jpegRecord.Prediction.ShouldBe(body1.GetProperty("prediction").GetString());
        jpegRecord.Probabilities["wet"].ShouldBe(body1.GetProperty("probabilities").GetProperty("wet").GetSingle());
        jpegRecord.Probabilities["dry"].ShouldBe(body1.GetProperty("probabilities").GetProperty("dry").GetSingle());
        jpegRecord.ContentType.ShouldBe("image/jpeg");
        jpegRecord.Size.ShouldBe(jpeg.Length);
        jpegRecord.TraceId.ShouldNotBeNull();
        jpegRecord.TraceId.ShouldMatch("^[0-9a-f]{32}$");
        File.ReadAllBytes(Path.Combine(server.PredictionsFolder, Path.ChangeExtension(jpegFile, ".jpg"))).ShouldBe(jpeg);

        var pngRecord = records[1].Record;
        pngRecord.ContentType.ShouldBe("image/png");
        pngRecord.Prediction.ShouldBe(body2.GetProperty("prediction").GetString());
        pngRecord.Prediction.ShouldBe("dry");
        File.ReadAllBytes(Path.Combine(server.PredictionsFolder, Path.ChangeExtension(records[1].File, ".png"))).ShouldBe(png);

        // The JSON keys are the wire contract (snake_case), and the review page's reader lists both.
        using var json = JsonDocument.Parse(File.ReadAllText(Path.Combine(server.PredictionsFolder, jpegFile)));
        json.RootElement.EnumerateObject().Select(p => p.Name).ShouldBe(
            ["id", "time", "model_name", "model_version", "prediction", "probabilities", "content_type", "size", "trace_id"], ignoreOrder: true);
        var web = new DryWet.Web.Review.PredictionLog(new EmbeddedObjectStore(Path.Combine(server.Home, "objects")), NullLogger<DryWet.Web.Review.PredictionLog>.Instance);
        var snapshot = await web.ReadAsync(Ct);
        snapshot.Unreadable.ShouldBeEmpty();
        snapshot.Predictions.Select(p => p.Record.Id).ShouldBe(records.Select(r => r.Record.Id), ignoreOrder: true);
        (await server.WaitForMetricAsync("drywet_prediction_log_written_total", "", 2)).ShouldBe(2);
    }

    [Fact]
    public async Task Refused_input_is_never_logged()
    {
        await using var server = await PredictionLogServer.StartAsync(LogEverything);
        var jpeg = TestImages.Road(wet: false);

        (await server.PredictAsync(jpeg[..(jpeg.Length / 2)])).Status.ShouldBe(HttpStatusCode.UnprocessableEntity);
        (await server.PredictAsync("not an image at all"u8.ToArray(), "notes.txt", "text/plain")).Status.ShouldBe(HttpStatusCode.UnsupportedMediaType);
        (await server.PredictAsync([])).Status.ShouldBe(HttpStatusCode.BadRequest);
        (await server.PredictAsync(jpeg)).Status.ShouldBe(HttpStatusCode.OK);

        // The good one is written; had a refused one been queued before it, it would be written first.
        await Eventually.TrueAsync(() => server.LoggedFiles().Count >= 2, "the good prediction is logged");
        await Task.Delay(200, Ct);
        server.LoggedFiles().Count.ShouldBe(2);
        (await server.WaitForMetricAsync("drywet_prediction_log_written_total", "", 1)).ShouldBe(1);
    }

    [Fact]
    public async Task A_store_outage_drops_and_counts_every_entry_and_every_prediction_still_answers_200()
    {
        // MinIO configured, nothing listening: every write is refused at once. The port is held (bound, not
        // listening) so no other test's server can take it meanwhile.
        using var closed = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        closed.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        await using var server = await PredictionLogServer.StartAsync(new Dictionary<string, string?>(LogEverything)
        {
            ["ConnectionStrings:minio"] = $"Endpoint=http://127.0.0.1:{((IPEndPoint)closed.LocalEndPoint!).Port};AccessKey=k;SecretKey=s",
        });

        for (var i = 0; i < 5; i++)
        {
            (await server.PredictAsync(TestImages.Road(wet: i % 2 == 0))).Status.ShouldBe(HttpStatusCode.OK);
        }

        (await server.WaitForMetricAsync("drywet_prediction_log_dropped_total", "reason=\"store_unavailable\"", 5)).ShouldBe(5);
        (await server.MetricAsync("drywet_prediction_log_written_total")).ShouldBe(0);
        (await server.Client.GetAsync("/health", Ct)).StatusCode.ShouldBe(HttpStatusCode.OK, "a store outage must not make serving unready");
    }

    [Fact]
    public async Task A_full_queue_drops_new_entries_without_slowing_predictions()
    {
        // A store that accepts the connection and never answers: the writer is stuck on the first entry, the queue
        // holds one more, everything after that is dropped as queue_full.
        using var hanging = new SilentServer();
        await using var server = await PredictionLogServer.StartAsync(new Dictionary<string, string?>(LogEverything)
        {
            ["ConnectionStrings:minio"] = $"Endpoint=http://127.0.0.1:{hanging.Port};AccessKey=k;SecretKey=s",
            ["Serving:PredictionLog:QueueCapacity"] = "1",
            // Retention would connect to the store too; off, every connection is the writer's.
            ["Serving:PredictionLog:RetentionDays"] = "0",
        });

        var started = DateTime.UtcNow;
        (await server.PredictAsync(TestImages.Road(wet: true))).Status.ShouldBe(HttpStatusCode.OK);
        // The writer takes the first entry and connects in the background: wait until it is stuck there, so that the
        // queue's one slot is what the next five predictions compete for.
        await Eventually.TrueAsync(() => hanging.Connections > 0, "the writer is waiting on the hanging store");
        for (var i = 0; i < 5; i++)
        {
            (await server.PredictAsync(TestImages.Road(wet: true))).Status.ShouldBe(HttpStatusCode.OK);
        }

        (DateTime.UtcNow - started).ShouldBeLessThan(TimeSpan.FromSeconds(15), "predictions never wait for the store");
        (await server.WaitForMetricAsync("drywet_prediction_log_dropped_total", "reason=\"queue_full\"", 4)).ShouldBe(4);
        hanging.Dispose(); // resets the connection: the stuck write fails now instead of at the server's shutdown
    }

    [Fact]
    public async Task Images_beyond_MaxQueuedMegabytes_are_dropped_even_with_free_queue_slots()
    {
        // The store hangs, so nothing leaves the queue: its 64 slots are never the limit, its 1 MB is.
        using var hanging = new SilentServer();
        await using var server = await PredictionLogServer.StartAsync(new Dictionary<string, string?>(LogEverything)
        {
            ["ConnectionStrings:minio"] = $"Endpoint=http://127.0.0.1:{hanging.Port};AccessKey=k;SecretKey=s",
            ["Serving:PredictionLog:MaxQueuedMegabytes"] = "1",
            ["Serving:PredictionLog:RetentionDays"] = "0",
        });
        var photo = TestImages.NoisyPhoto(width: 960, height: 720);
        var fit = 1024 * 1024 / photo.Length;
        fit.ShouldBeInRange(2, 8, $"the test photo ({photo.Length:N0} bytes) must fit the 1 MB budget a few times");

        for (var i = 0; i < fit + 3; i++)
        {
            (await server.PredictAsync(photo)).Status.ShouldBe(HttpStatusCode.OK);
        }

        // Each drop is counted while its request runs: the count is final once the last answer is in.
        (await server.WaitForMetricAsync("drywet_prediction_log_dropped_total", "reason=\"queue_full\"", 3)).ShouldBe(3);
        (await server.MetricAsync("drywet_prediction_log_dropped_total")).ShouldBe(3);
        hanging.Dispose();
    }

    [Fact]
    public async Task A_bucket_deleted_under_the_writer_drops_one_entry_as_store_error_and_the_next_recreates_it()
    {
        await using var server = await PredictionLogServer.StartAsync(LogEverything);
        (await server.PredictAsync(TestImages.Road(wet: true))).Status.ShouldBe(HttpStatusCode.OK);
        await server.WaitForMetricAsync("drywet_prediction_log_written_total", "", 1);

        // Someone wipes the bucket while serving runs: the writer still believes it exists.
        Directory.Delete(Path.Combine(server.Home, "objects", PredictionLogLayout.Bucket), recursive: true);
        (await server.PredictAsync(TestImages.Road(wet: false))).Status.ShouldBe(HttpStatusCode.OK);
        (await server.WaitForMetricAsync("drywet_prediction_log_dropped_total", "reason=\"store_error\"", 1)).ShouldBe(1);

        (await server.PredictAsync(TestImages.Road(wet: true))).Status.ShouldBe(HttpStatusCode.OK);
        (await server.WaitForMetricAsync("drywet_prediction_log_written_total", "", 2)).ShouldBe(2);
        server.LoggedFiles().Count.ShouldBe(2, "the bucket is created again and the third prediction's image and record are in it");
        (await server.MetricAsync("drywet_prediction_log_dropped_total")).ShouldBe(1);
    }

    [Fact]
    public async Task Entries_still_queued_when_the_server_stops_are_dropped_as_shutdown_after_the_drain_time()
    {
        using var hanging = new SilentServer();
        await using var server = await PredictionLogServer.StartAsync(new Dictionary<string, string?>(LogEverything)
        {
            ["ConnectionStrings:minio"] = $"Endpoint=http://127.0.0.1:{hanging.Port};AccessKey=k;SecretKey=s",
            ["Serving:PredictionLog:RetentionDays"] = "0",
        });
        using var drops = new DropCounter(server.App.Services.GetRequiredService<IMeterFactory>());

        (await server.PredictAsync(TestImages.Road(wet: true))).Status.ShouldBe(HttpStatusCode.OK);
        await Eventually.TrueAsync(() => hanging.Connections > 0, "the writer is waiting on the hanging store");
        for (var i = 0; i < 3; i++)
        {
            (await server.PredictAsync(TestImages.Road(wet: false))).Status.ShouldBe(HttpStatusCode.OK);
        }

        // Stopping gives the writer its drain time, then gives up: the stuck write and the three queued entries.
        await server.App.DisposeAsync();

        drops.ByReason.ShouldBe(new Dictionary<string, long> { [PredictionLogDropReason.Shutdown] = 4 });
    }

    [Fact]
    public async Task Retention_deletes_date_folders_older_than_RetentionDays_and_nothing_else()
    {
        var folder = new TempFolder();
        var objects = new EmbeddedObjectStore(Path.Combine(folder.Sub("home"), "objects"));
        await objects.EnsureBucketAsync(PredictionLogLayout.Bucket, Ct);
        var today = DateTimeOffset.UtcNow;
        async Task Put(string key) => await objects.UploadAsync(PredictionLogLayout.Bucket, key, "{}"u8.ToArray(), "application/json", Ct);
        await Put("predictions/2020-01-01/old.json");
        await Put("predictions/2020-01-01/old.jpg");
        await Put($"predictions/{today.AddDays(-8):yyyy-MM-dd}/expired.json");
        await Put($"predictions/{today.AddDays(-7):yyyy-MM-dd}/kept.json");
        await Put("predictions/notes/readme.txt");
        await Put("other/2020-01-01.json");

        await using var server = await PredictionLogServer.StartAsync(new Dictionary<string, string?>(LogEverything)
        {
            ["Serving:PredictionLog:RetentionDays"] = "7",
        }, folder);

        await Eventually.TrueAsync(() => !Directory.Exists(Path.Combine(server.PredictionsFolder, "2020-01-01"))
                                         && !Directory.Exists(Path.Combine(server.PredictionsFolder, $"{today.AddDays(-8):yyyy-MM-dd}")),
            "the folders older than 7 days are deleted");
        (await objects.ListAsync(PredictionLogLayout.Bucket, cancellationToken: Ct)).Select(o => o.Key).ShouldBe(
        [
            "other/2020-01-01.json",
            $"predictions/{today.AddDays(-7):yyyy-MM-dd}/kept.json",
            "predictions/notes/readme.txt",
        ]);
        (await server.WaitForMetricAsync("drywet_prediction_log_deleted_total", "", 3)).ShouldBe(3);
    }

    [Fact]
    public async Task Against_a_real_S3_server_the_log_creates_its_bucket_and_writes_the_same_layout()
    {
        await using var s3 = new S3rverFixture();
        await s3.InitializeAsync();
        await using var server = await PredictionLogServer.StartAsync(new Dictionary<string, string?>(LogEverything)
        {
            ["ConnectionStrings:minio"] = s3.ConnectionString,
        });
        var jpeg = TestImages.Road(wet: true);

        (await server.PredictAsync(jpeg)).Status.ShouldBe(HttpStatusCode.OK);

        var store = s3.CreateStore();
        await server.WaitForMetricAsync("drywet_prediction_log_written_total", "", 1);
        var keys = (await store.ListAsync(PredictionLogLayout.Bucket, PredictionLogLayout.Prefix, Ct)).Select(o => o.Key).ToList();
        keys.Count.ShouldBe(2);
        keys.ShouldAllBe(k => k.StartsWith(PredictionLogLayout.Prefix + DateTime.UtcNow.ToString("yyyy-MM-dd"), StringComparison.Ordinal)
                              || k.StartsWith(PredictionLogLayout.Prefix + DateTime.UtcNow.AddMinutes(-1).ToString("yyyy-MM-dd"), StringComparison.Ordinal));
        var image = Path.Combine(server.Home, "image.jpg");
        await store.DownloadFileAsync(PredictionLogLayout.Bucket, keys.Single(k => k.EndsWith(".jpg", StringComparison.Ordinal)), image, Ct);
        File.ReadAllBytes(image).ShouldBe(jpeg);
        var record = Path.Combine(server.Home, "record.json");
        await store.DownloadFileAsync(PredictionLogLayout.Bucket, keys.Single(k => k.EndsWith(".json", StringComparison.Ordinal)), record, Ct);
        JsonSerializer.Deserialize<PredictionLogRecord>(File.ReadAllText(record), PredictionLogRecord.Json)!.Size.ShouldBe(jpeg.Length);
        Directory.Exists(Path.Combine(server.Home, "objects")).ShouldBeFalse("with MinIO configured nothing is written to disk");
    }
}

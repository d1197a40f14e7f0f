using System.Text.Json;
using DryWet.Core.Feedback;
using DryWet.Core.Imaging;
using DryWet.Core.Storage;
using DryWet.Tests.Serving;
using DryWet.Tests.Storage;
using DryWet.Web;
using DryWet.Web.Review;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Logging.Abstractions;
using SkiaSharp;

namespace DryWet.Tests.Web;

/// <summary>
/// Thumbnails of logged images through the review API's handler over a real embedded store (counted): found without
/// listing the log again, bombs refused from their header, big JPEGs decoded small, 503 + Retry-After when the decode
/// budget stays full, the budget always given back.
/// </summary>
public sealed class ThumbnailTests : IDisposable
{
    private static readonly DateTimeOffset When = DateTimeOffset.UtcNow;
    private static readonly string Today = PredictionLogLayout.DateFolder(When);
    private readonly string _home = TestFolders.NewTempDirectory("drywet-thumbnails");
    private readonly CountingObjectStore _store;
    private readonly WebOptions _options = new();
    private readonly DecodeBudget _budget;
    private readonly PredictionLog _log;
    private readonly ThumbnailCache _thumbnails;
    private readonly ThumbnailDecoder _decoder;

    public ThumbnailTests()
    {
        _store = new CountingObjectStore(new EmbeddedObjectStore(Path.Combine(_home, "objects")));
        var cache = new WebCache(Path.Combine(_home, "cache"));
        _budget = ThumbnailDecoder.CreateBudget(_options);
        _decoder = new ThumbnailDecoder(_options, _budget);
        _log = new PredictionLog(_store, NullLogger<PredictionLog>.Instance);
        _thumbnails = new ThumbnailCache(_store, cache, _decoder);
    }

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task At_10000_logged_predictions_a_page_lists_the_log_once_reads_no_record_twice_and_its_60_thumbnails_never_list()
    {
        var image = TestImages.Road(wet: true);
        await _store.EnsureBucketAsync(PredictionLog.FeedbackBucket, Ct);
        var ids = Enumerable.Range(0, 10_000).Select(i => $"p{i:D5}").ToList();
        await Parallel.ForEachAsync(ids, new ParallelOptions { MaxDegreeOfParallelism = 4, CancellationToken = Ct }, (id, ct) => LogAsync(id, image, ct));

        // The first page after a start: one listing of the log (no manifest yet: no ml-data bucket), every record read once.
        var (lists, downloads) = (_store.Lists, _store.Downloads);
        var snapshot = await _log.ReadAsync(Ct);
        snapshot.Predictions.Count.ShouldBe(10_000);
        (_store.Lists - lists).ShouldBe(1);
        (_store.Downloads - downloads).ShouldBe(10_000, "each record is read once");

        // Every later page, whatever its order: one listing again (always fresh), no record read, the same snapshot with
        // its orders sorted once; the counter and filters' choices come from it too.
        foreach (var sort in new[] { "least", "disagreement", "newest", "least" })
        {
            (lists, downloads) = (_store.Lists, _store.Downloads);
            var page = await _log.ReadAsync(Ct);
            (_store.Lists - lists).ShouldBe(1, "one listing of the log per page");
            (_store.Downloads - downloads).ShouldBe(0, "an unchanged log reads no record again");
            page.ShouldBeSameAs(snapshot);
            ReviewFilter.Parse(null, null, null, sort, take: null).Filter.Apply(page).Count.ShouldBe(60);
        }

        snapshot.Ordered(ReviewOrder.LeastConfident).ShouldBeSameAs(snapshot.Ordered(ReviewOrder.LeastConfident));
        snapshot.Reviewed.ShouldBe(0);
        snapshot.Dates.ShouldBe([Today]);

        // Its 60 cards ask for their thumbnails, six at a time as a browser does.
        var (listsForPage, downloadsBefore) = (_store.Lists, _store.Downloads);
        var shown = ReviewFilter.Default.Apply(snapshot);
        shown.Count.ShouldBe(60);
        var statuses = new List<int>();
        await Parallel.ForEachAsync(shown, new ParallelOptions { MaxDegreeOfParallelism = 6, CancellationToken = Ct }, async (p, _) =>
        {
            var (status, _, path) = await ThumbnailAsync(p.Date, p.Record.Id);
            lock (statuses)
            {
                statuses.Add(status);
            }

            AssertSmallJpeg(path!);
        });

        statuses.ShouldAllBe(s => s == 200);
        _store.Lists.ShouldBe(listsForPage, "a thumbnail must not list the prediction log again");
        (_store.Downloads - downloadsBefore).ShouldBe(60, "one download per thumbnail: its image");

        // Made once: the same 60 again cost no store call at all.
        downloadsBefore = _store.Downloads;
        foreach (var p in shown.Take(10))
        {
            (await ThumbnailAsync(p.Date, p.Record.Id)).Status.ShouldBe(200);
        }

        _store.Downloads.ShouldBe(downloadsBefore);

        // A prediction logged after the page's listing is found by its key, still without a listing; an unknown one is 404.
        await LogAsync("late", image, Ct);
        (await ThumbnailAsync(Today, "late")).Status.ShouldBe(200);
        (await ThumbnailAsync(Today, "never-logged")).Status.ShouldBe(404);
        (await ThumbnailAsync("2026-13-45", "../../etc")).Status.ShouldBe(404);
        _store.Lists.ShouldBe(listsForPage);

        // The next page lists it and reads only its record.
        downloads = _store.Downloads;
        var next = await _log.ReadAsync(Ct);
        next.Predictions.Count.ShouldBe(10_001);
        next.Find(Today, "late").ShouldNotBeNull();
        (_store.Downloads - downloads).ShouldBe(1);
    }

    [Fact]
    public async Task A_64_megapixel_png_bomb_is_refused_from_its_header_with_422_naming_its_size_and_nothing_is_kept()
    {
        var bomb = BombImages.Png(8000, 8000);
        bomb.Length.ShouldBeLessThan(1_000_000);
        await LogAsync("png-bomb", bomb, Ct, "image/png", "png");

        var (status, body, _) = await ThumbnailAsync(Today, "png-bomb");

        status.ShouldBe(422);
        body.ShouldContain("8000×8000 pixels (64,000,000)");
        body.ShouldContain("Web:MaxImagePixels");
        _budget.ReservedBytes.ShouldBe(0);
        CachedFiles().ShouldBeEmpty("no thumbnail and no temp file is left in the web cache");
    }

    [Fact]
    public async Task A_60_byte_rle8_bmp_declaring_8000_by_8000_is_refused_with_422()
    {
        var bomb = BombImages.BmpRle8(8000, 8000);
        bomb.Length.ShouldBe(60);
        await LogAsync("bmp-bomb", bomb, Ct, "image/bmp", "bmp");

        var (status, body, _) = await ThumbnailAsync(Today, "bmp-bomb");

        status.ShouldBe(422);
        body.ShouldContain("8000×8000");
        _budget.ReservedBytes.ShouldBe(0);
    }

    [Fact]
    public async Task A_large_jpeg_is_decoded_at_an_eighth_or_a_quarter_of_its_size_and_the_thumbnail_is_upright_and_160_px()
    {
        var jpeg = TestImages.Encode(3200, 2400, (x, y) => new SKColor((byte)(x / 13), (byte)(y / 10), 90), SKEncodedImageFormat.Jpeg, 80);
        var source = Path.Combine(_home, "big.jpg");
        await File.WriteAllBytesAsync(source, TestImages.WithExifOrientation(jpeg, 6), Ct); // 6: rotate 90° clockwise to view

        using var thumbnail = new MemoryStream();
        var decoded = await _decoder.WriteAsync(source, thumbnail, Ct);

        decoded.Width.ShouldBeLessThanOrEqualTo(3200 / 4);
        decoded.Height.ShouldBeLessThanOrEqualTo(2400 / 4);
        using var codec = SKCodec.Create(new SKMemoryStream(thumbnail.ToArray()));
        codec.EncodedFormat.ShouldBe(SKEncodedImageFormat.Jpeg);
        (codec.Info.Width, codec.Info.Height).ShouldBe((120, 160));
        _budget.ReservedBytes.ShouldBe(0);
    }

    [Fact]
    public async Task When_the_decode_budget_stays_full_a_thumbnail_gets_503_with_retry_after_and_is_made_once_there_is_room()
    {
        await LogAsync("busy", TestImages.Road(wet: false), Ct);
        var everything = await _budget.ReserveAsync(_budget.CapacityBytes, Ct);

        var context = new DefaultHttpContext();
        var refused = await ReviewApi.ThumbnailAsync(Today, "busy", context, _log, _thumbnails, Ct);

        var text = refused.Result.ShouldBeOfType<ContentHttpResult>();
        text.StatusCode.ShouldBe(503);
        text.ResponseContent!.ShouldContain("Web:DecodeMemoryBudgetMB");
        context.Response.Headers.RetryAfter.ToString().ShouldBe("2");
        CachedFiles().ShouldBeEmpty("no thumbnail and no temp file is left in the web cache");

        everything.Dispose();
        (await ThumbnailAsync(Today, "busy")).Status.ShouldBe(200);
        _budget.ReservedBytes.ShouldBe(0);
    }

    [Fact]
    public async Task A_damaged_image_gets_422_and_gives_its_reservation_back()
    {
        var jpeg = TestImages.Encode(640, 480, (x, y) => new SKColor((byte)x, (byte)y, 0), SKEncodedImageFormat.Jpeg, 90);
        await LogAsync("damaged", jpeg[..(jpeg.Length / 3)], Ct);

        var (status, body, _) = await ThumbnailAsync(Today, "damaged");

        status.ShouldBe(422);
        body.ShouldContain("truncated");
        _budget.ReservedBytes.ShouldBe(0);
    }

    [Fact]
    public async Task The_web_budget_refuses_with_a_503_message_naming_its_setting_after_its_wait()
    {
        var budget = ThumbnailDecoder.CreateBudget(_options);
        using var everything = await budget.ReserveAsync(budget.CapacityBytes, Ct);

        var error = await Should.ThrowAsync<DecodeBusyException>(() => budget.ReserveAsync(1000, Ct).AsTask());

        error.Message.ShouldContain("Web:DecodeMemoryBudgetMB");
        budget.Timeout.ShouldBe(ThumbnailDecoder.BudgetWait);
    }

    public void Dispose() => TestFolders.DeleteQuietly(_home);

    private List<string> CachedFiles() =>
        Directory.Exists(Path.Combine(_home, "cache")) ? Directory.EnumerateFiles(Path.Combine(_home, "cache"), "*", SearchOption.AllDirectories).ToList() : [];

    private async Task<(int Status, string Body, string? Path)> ThumbnailAsync(string date, string id)
    {
        var result = (await ReviewApi.ThumbnailAsync(date, id, new DefaultHttpContext(), _log, _thumbnails, Ct)).Result;
        return result switch
        {
            PhysicalFileHttpResult file => (200, "", file.FileName),
            NotFound<string> notFound => (404, notFound.Value!, null),
            UnprocessableEntity<string> bad => (422, bad.Value!, null),
            ContentHttpResult text => (text.StatusCode ?? 200, text.ResponseContent ?? "", null),
            _ => throw new InvalidOperationException($"unexpected result {result.GetType().Name}"),
        };
    }

    private async ValueTask LogAsync(string id, byte[] image, CancellationToken cancellationToken, string contentType = "image/jpeg", string extension = "jpg")
    {
        var time = When;
        var record = new PredictionLogRecord(id, time, "dry_wet_model", "1", "wet",
            new Dictionary<string, float> { ["wet"] = 0.5f + (id.GetHashCode() & 0xFF) / 600f, ["dry"] = 0.3f }, contentType, image.Length, null);
        await _store.EnsureBucketAsync(PredictionLog.FeedbackBucket, cancellationToken);
        await _store.UploadAsync(PredictionLog.FeedbackBucket, PredictionLogLayout.ImageKey(time, id, extension), image, contentType, cancellationToken);
        await _store.UploadAsync(PredictionLog.FeedbackBucket, PredictionLogLayout.RecordKey(time, id),
            JsonSerializer.SerializeToUtf8Bytes(record, PredictionLogRecord.Json), "application/json", cancellationToken);
    }

    private static void AssertSmallJpeg(string path)
    {
        using var codec = SKCodec.Create(path);
        codec.EncodedFormat.ShouldBe(SKEncodedImageFormat.Jpeg);
        Math.Max(codec.Info.Width, codec.Info.Height).ShouldBeLessThanOrEqualTo(ThumbnailDecoder.MaxSide);
    }
}

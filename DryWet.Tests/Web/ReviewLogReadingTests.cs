using DryWet.Core.Storage;
using DryWet.Tests.Serving;
using DryWet.Tests.Storage;
using DryWet.Web;
using DryWet.Web.Review;
using Microsoft.Extensions.Logging.Abstractions;

namespace DryWet.Tests.Web;

/// <summary>
/// What the review page reads from the store, counted (in process, a real embedded store behind a counting decorator):
/// each page lists the log and the manifest once and is always fresh; a record or manifest entry is read once per
/// version; an unchanged log gives back the same snapshot; pages asking at once share a listing that began after they
/// asked, never one that began before.
/// </summary>
public sealed class ReviewLogReadingTests : IDisposable
{
    private readonly string _home = TestFolders.NewTempDirectory("drywet-review-log");
    private readonly CountingObjectStore _store;
    private readonly PredictionLog _log;
    private readonly TrainingLabelWriter _writer;
    private readonly byte[] _image = TestImages.Road(wet: true);

    public ReviewLogReadingTests()
    {
        _store = new CountingObjectStore(new EmbeddedObjectStore(Path.Combine(_home, "objects")));
        _log = new PredictionLog(_store, NullLogger<PredictionLog>.Instance);
        _writer = new TrainingLabelWriter(_store, new WebCache(Path.Combine(_home, "cache")), NullLogger<TrainingLabelWriter>.Instance);
    }

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_new_prediction_or_label_is_on_the_next_page_and_costs_one_read_and_an_unchanged_log_costs_none()
    {
        for (var i = 0; i < 50; i++)
        {
            await LoggedPredictions.WriteAsync(_store, $"p{i:D2}", "wet", 0.60f + i / 200f, _image);
        }

        var first = await CountedReadAsync(expectedReads: 50);
        first.Predictions.Count.ShouldBe(50);
        (await CountedReadAsync(expectedReads: 0)).ShouldBeSameAs(first);

        // Logged since: on the next page, least confident first, its record the only one read.
        await LoggedPredictions.WriteAsync(_store, "unsure", "dry", 0.51f, _image);
        var withNew = await CountedReadAsync(expectedReads: 1);
        withNew.ShouldNotBeSameAs(first);
        ReviewFilter.Default.Apply(withNew)[0].Record.Id.ShouldBe("unsure");

        // Labelled (by this or another replica): the next page has the review, read once; the card moves behind the unreviewed.
        await _writer.WriteAsync(withNew.Find(withNew.Dates[0], "unsure")!, "wet", "Ada", Ct);
        var labelled = await CountedReadAsync(expectedReads: 1);
        labelled.Reviewed.ShouldBe(1);
        labelled.Find(labelled.Dates[0], "unsure")!.Review!.Label.ShouldBe("wet");
        ReviewFilter.Default.Apply(labelled)[0].Record.Id.ShouldBe("p00");
        labelled.Ordered(ReviewOrder.LeastConfident)[^1].Record.Id.ShouldBe("unsure");
        (await CountedReadAsync(expectedReads: 0)).ShouldBeSameAs(labelled);

        // A label changed: read again (its entry grew by a history step).
        await _writer.ChangeAsync(labelled.Find(labelled.Dates[0], "unsure")!, "wet", "dry", "Grace", Ct);
        (await CountedReadAsync(expectedReads: 1)).Find(labelled.Dates[0], "unsure")!.Review!.Reviewer.ShouldBe("Grace");
    }

    [Fact]
    public async Task A_broken_record_is_named_once_per_version_and_a_deleted_prediction_leaves_the_page()
    {
        await LoggedPredictions.WriteAsync(_store, "good", "wet", 0.7f, _image);
        await LoggedPredictions.WriteAsync(_store, "gone", "wet", 0.7f, _image);
        var date = $"{DateTimeOffset.UtcNow:yyyy-MM-dd}";
        await _store.UploadAsync(PredictionLog.FeedbackBucket, $"predictions/{date}/broken.jpg", _image, "image/jpeg", Ct);
        await _store.UploadAsync(PredictionLog.FeedbackBucket, $"predictions/{date}/broken.json", "{\"id\":"u8.ToArray(), "application/json", Ct);
        await _store.UploadAsync(PredictionLog.FeedbackBucket, $"predictions/{date}/huge.jpg", _image, "image/jpeg", Ct);
        await _store.UploadAsync(PredictionLog.FeedbackBucket, $"predictions/{date}/huge.json", new byte[PredictionLog.MaxRecordBytes + 1], "application/json", Ct);
        await _store.UploadAsync(PredictionLog.FeedbackBucket, $"predictions/{date}/lonely.json", "{}"u8.ToArray(), "application/json", Ct);

        var snapshot = await CountedReadAsync(expectedReads: 4); // good, gone, broken, huge (lonely has no image: not read)
        snapshot.Predictions.Select(p => p.Record.Id).ShouldBe(["gone", "good"]);
        snapshot.Unreadable.Count.ShouldBe(3);
        snapshot.Unreadable.ShouldContain(u => u.StartsWith($"predictions/{date}/broken.json: ", StringComparison.Ordinal));
        snapshot.Unreadable.ShouldContain(u => u.StartsWith($"predictions/{date}/huge.json: ", StringComparison.Ordinal) && u.Contains($"over the {PredictionLog.MaxRecordBytes} bytes"));
        snapshot.Unreadable.ShouldContain($"predictions/{date}/lonely.json: its image is missing");
        (await CountedReadAsync(expectedReads: 0)).ShouldBeSameAs(snapshot);

        await _store.DeleteAsync(PredictionLog.FeedbackBucket, $"predictions/{date}/gone.json", Ct);
        await _store.DeleteAsync(PredictionLog.FeedbackBucket, $"predictions/{date}/gone.jpg", Ct);
        var after = await CountedReadAsync(expectedReads: 0);
        after.Predictions.Select(p => p.Record.Id).ShouldBe(["good"]);
        after.Find(date, "gone").ShouldBeNull();
    }

    [Fact]
    public async Task Pages_asking_at_once_share_a_listing_that_began_after_they_asked_but_not_one_that_began_before()
    {
        await LoggedPredictions.WriteAsync(_store, "early", "wet", 0.7f, _image);
        _store.HoldListings = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);

        // A page's listing is made (without "late") and held; meanwhile "late" is logged and seven more pages ask.
        var first = _log.ReadAsync(Ct);
        await WaitUntilAsync(() => _store.ListsOf(PredictionLog.FeedbackBucket) == 1);
        await LoggedPredictions.WriteAsync(_store, "late", "wet", 0.6f, _image);
        var asking = new CountdownEvent(7);
        var others = Enumerable.Range(0, 7).Select(_ => Task.Run(() =>
        {
            asking.Signal();
            return _log.ReadAsync(Ct);
        })).ToArray();
        await WaitUntilAsync(() => asking.IsSet);
        await Task.Delay(100, Ct); // the seven are waiting behind the first page's listing
        _store.HoldListings.SetResult();

        (await first).Predictions.Select(p => p.Record.Id).ShouldBe(["early"]);
        foreach (var page in await Task.WhenAll(others))
        {
            page.Predictions.Select(p => p.Record.Id).ShouldBe(new[] { "early", "late" }, ignoreOrder: true, "a page must hold everything logged before it asked");
        }

        _store.ListsOf(PredictionLog.FeedbackBucket).ShouldBeInRange(2, 3, "the seven share one fresh listing (a late starter may make its own)");
    }

    public void Dispose() => TestFolders.DeleteQuietly(_home);

    /// <summary>One page's read: one listing of the log, one of the manifest when ml-data exists, and <paramref name="expectedReads"/> object reads.</summary>
    private async Task<PredictionLogSnapshot> CountedReadAsync(int expectedReads)
    {
        var (log, manifest, reads) = (_store.ListsOf(PredictionLog.FeedbackBucket), _store.ListsOf(PredictionLog.DataBucket), _store.Downloads);
        var hasManifest = await _store.BucketExistsAsync(PredictionLog.DataBucket, Ct);
        var snapshot = await _log.ReadAsync(Ct);
        (_store.ListsOf(PredictionLog.FeedbackBucket) - log).ShouldBe(1, "one listing of the log per page");
        (_store.ListsOf(PredictionLog.DataBucket) - manifest).ShouldBe(hasManifest ? 1 : 0, "one listing of the manifest per page");
        (_store.Downloads - reads).ShouldBe(expectedReads);
        return snapshot;
    }

    private static async Task WaitUntilAsync(Func<bool> condition)
    {
        for (var i = 0; i < 500 && !condition(); i++)
        {
            await Task.Delay(10, Ct);
        }

        condition().ShouldBeTrue();
    }
}

using DryWet.Core.LiveEvaluation;
using DryWet.Core.Storage;
using DryWet.Tests.Storage;
using DryWet.Tests.Web;
using Microsoft.Extensions.Logging.Abstractions;

namespace DryWet.Tests.LiveEvaluation;

/// <summary>Reading reviews and their logged predictions from the object store into live scores.</summary>
public sealed class LiveReviewReaderTests : IDisposable
{
    private const string Model = "dry_wet_model";
    private readonly string _root = TestFolders.NewTempDirectory("live-reader");
    private readonly CountingObjectStore _store;
    private readonly LiveReviewReader _reader;

    public LiveReviewReaderTests()
    {
        _store = new CountingObjectStore(new EmbeddedObjectStore(Path.Combine(_root, "objects")));
        _reader = new LiveReviewReader(_store, Path.Combine(_root, "work"), NullLogger<LiveReviewReader>.Instance);
    }

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Nothing_reviewed_yet_is_an_empty_board()
    {
        var reading = await _reader.ReadAsync(Model, Ct);

        reading.Board.Requests.ShouldBe(0);
        reading.Problems.ShouldBeEmpty();
    }

    [Fact]
    public async Task Scores_champion_and_shadow_against_the_label_and_tolerates_what_it_does_not_know()
    {
        await ReviewedPredictions.WriteAsync(_store, "a", label: "wet", champion: "dry", "1", shadow: "wet", "2");
        // A later manifest format with a label history: extra fields are ignored, the current label counts.
        await ReviewedPredictions.WriteAsync(_store, "b", label: "dry", champion: "dry", "1", shadow: "wet", "2",
            extraEntryJson: "\"history\":[{\"label\":\"wet\",\"reviewer\":\"x\"}]");
        // The record is gone (retention): the champion is still scored from the review.
        await ReviewedPredictions.WriteAsync(_store, "c", label: "wet", champion: "wet", "1", shadow: "dry", "2", withRecord: false);
        // Another model's review does not count.
        await ReviewedPredictions.WriteAsync(_store, "d", label: "wet", champion: "wet", "1", shadow: "wet", "2", modelName: "other");
        // Garbage in the manifest is named, not fatal.
        await ReviewedPredictions.UploadAsync(_store, LiveReviewReader.DataBucket, ".manifest/e.json", "{not json");
        await ReviewedPredictions.UploadAsync(_store, LiveReviewReader.DataBucket, ".manifest/README.txt", "not a review");

        var reading = await _reader.ReadAsync(Model, Ct);

        reading.Board.For("1").ShouldBe(new LiveAccuracy("1", Correct: 2, Reviewed: 3));
        reading.Board.For("2").ShouldBe(new LiveAccuracy("2", Correct: 1, Reviewed: 2));
        reading.Board.Compare("1", "2").ShouldBe(new PairedComparison("1", "2", BothRight: 0, ChampionOnlyRight: 1, ShadowOnlyRight: 1, BothWrong: 0));
        reading.Problems.Count.ShouldBe(1);
        reading.Problems[0].ShouldStartWith(".manifest/e.json: ");
    }

    [Fact]
    public async Task Reads_each_review_once_and_again_only_when_its_label_changes()
    {
        await ReviewedPredictions.WriteTableAsync(_store, "1", "2", bothRight: 30, championOnly: 5, shadowOnly: 10, bothWrong: 5);

        var first = await _reader.ReadAsync(Model, Ct);
        var downloads = _store.Downloads;
        var second = await _reader.ReadAsync(Model, Ct);

        first.Board.Compare("1", "2").Reviews.ShouldBe(50);
        downloads.ShouldBe(100); // one entry + one record per review
        _store.Downloads.ShouldBe(downloads); // nothing changed: nothing read
        second.Board.Compare("1", "2").ShouldBe(first.Board.Compare("1", "2"));

        // A reviewer corrects one label (wet → dry): that entry is read again and the scores follow.
        await Task.Delay(20, Ct); // a new modification time
        await ReviewedPredictions.WriteAsync(_store, "req00000", label: "dry", champion: "wet", "1", shadow: "wet", "2");
        var corrected = await _reader.ReadAsync(Model, Ct);

        _store.Downloads.ShouldBe(downloads + 2);
        corrected.Board.Compare("1", "2").ShouldBe(new PairedComparison("1", "2", BothRight: 29, ChampionOnlyRight: 5, ShadowOnlyRight: 10, BothWrong: 6));
    }

    [Fact]
    public async Task Thousands_of_reviews_are_all_scored()
    {
        await ReviewedPredictions.WriteTableAsync(_store, "3", "4", bothRight: 1100, championOnly: 120, shadowOnly: 180, bothWrong: 100);

        var reading = await _reader.ReadAsync(Model, Ct);

        var pair = reading.Board.Compare("3", "4");
        pair.ShouldBe(new PairedComparison("3", "4", 1100, 120, 180, 100));
        pair.PValue.ShouldBe(ExactRational.McNemarPValue(120, 180), 1e-12);
        Directory.EnumerateFileSystemEntries(Path.Combine(_root, "work")).ShouldBeEmpty(); // no temp file left behind
    }

    public void Dispose() => TestFolders.DeleteQuietly(_root);
}

using System.Text.Json;
using DryWet.Core.Feedback;
using DryWet.Core.Storage;
using DryWet.Tests.Serving;
using DryWet.Tests.Storage;
using DryWet.Web;
using DryWet.Web.Review;
using Microsoft.Extensions.Logging.Abstractions;

namespace DryWet.Tests.Web;

/// <summary>
/// Reviewers racing on the same predictions, each with their own writer and store client (as separate web replicas
/// are), run against every object store: one first label wins and the others get 409 naming the winner; changes are
/// compare-and-swap with a continuous history; and when the dust settles the image is in exactly one class folder,
/// the one the manifest entry names.
/// </summary>
public abstract class ConcurrentLabellingTests : IDisposable
{
    private readonly string _cache = TestFolders.NewTempDirectory("labelling-cache");
    private readonly List<string> _folders = [];

    /// <summary>A new client of the store under test (every reviewer gets their own), with ml-feedback and ml-data existing.</summary>
    protected abstract IObjectStore NewStore();

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Of_eight_reviewers_labelling_at_once_half_dry_half_wet_one_wins_and_the_image_is_in_one_class_only_five_times_over()
    {
        for (var attempt = 0; attempt < 5; attempt++)
        {
            var prediction = await LogAsync("dry");
            var outcomes = await RaceAsync(8, i => Writer().WriteAsync(prediction, i % 2 == 0 ? "dry" : "wet", $"reviewer-{i}", Ct));

            var winner = outcomes.Where(o => o.Error is null).ShouldHaveSingleItem();
            var entry = await EntryAsync(prediction);
            entry.Reviewer.ShouldBe(winner.Reviewer);
            foreach (var loser in outcomes.Where(o => o.Error is not null))
            {
                loser.Error!.StatusCode.ShouldBe(409);
                loser.Error.Message.ShouldContain($"by {winner.Reviewer}");
            }

            await ShouldBeOnlyInAsync(prediction, entry.Label);
            entry.History.ShouldNotBeNull().ShouldHaveSingleItem().ShouldBe(new LabelChange(null, entry.Label, winner.Reviewer, entry.ReviewedAt));
        }
    }

    [Fact]
    public async Task Of_six_reviewers_changing_one_label_at_once_one_wins_and_the_image_moves_with_nothing_left_behind()
    {
        var prediction = await LogAsync("dry");
        await Writer().WriteAsync(prediction, "dry", "Ada", Ct);

        var outcomes = await RaceAsync(6, i => Writer().ChangeAsync(prediction, "dry", "wet", $"reviewer-{i}", Ct));

        var winner = outcomes.Where(o => o.Error is null).ShouldHaveSingleItem();
        outcomes.Where(o => o.Error is not null).ShouldAllBe(o => o.Error!.StatusCode == 409 && o.Error.Message.Contains($"by {winner.Reviewer}"));
        var entry = await EntryAsync(prediction);
        entry.Label.ShouldBe("wet");
        entry.Corrected.ShouldBeTrue();
        entry.Reviewer.ShouldBe(winner.Reviewer);
        entry.ImageKey.ShouldBe($"wet/{prediction.Record.Id}.jpg");
        entry.History!.Select(h => (h.From, h.To, h.Reviewer)).ShouldBe([(null, "dry", "Ada"), ("dry", "wet", winner.Reviewer)]);
        await ShouldBeOnlyInAsync(prediction, "wet");
    }

    [Fact]
    public async Task Reviewers_flipping_a_label_back_and_forth_at_once_leave_a_continuous_history_and_the_image_where_it_ends()
    {
        var prediction = await LogAsync("wet");
        await Writer().WriteAsync(prediction, "wet", "Ada", Ct);

        // Four reviewers, five flips each, all at once: each reads the label it sees and asks for the other one.
        var outcomes = await RaceAsync(4, async i =>
        {
            var writer = Writer();
            var won = 0;
            for (var flip = 0; flip < 5; flip++)
            {
                var seen = (await EntryAsync(prediction)).Label;
                try
                {
                    await writer.ChangeAsync(prediction, seen, seen == "dry" ? "wet" : "dry", $"reviewer-{i}", Ct);
                    won++;
                }
                catch (LabelRejectedException ex) when (ex.StatusCode == 409)
                {
                    // Lost this one to another reviewer: look again.
                }
            }

            return won;
        });

        var entry = await EntryAsync(prediction);
        var history = entry.History.ShouldNotBeNull();
        history.Count.ShouldBe(1 + outcomes.Sum(o => o.Result));
        history[0].ShouldBe(new LabelChange(null, "wet", "Ada", history[0].At));
        for (var i = 1; i < history.Count; i++)
        {
            history[i].From.ShouldBe(history[i - 1].To);
            history[i].To.ShouldNotBe(history[i].From);
        }

        history[^1].To.ShouldBe(entry.Label);
        await ShouldBeOnlyInAsync(prediction, entry.Label);
    }

    [Fact]
    public async Task A_change_from_a_label_it_no_longer_has_or_of_an_unlabelled_prediction_is_refused_and_bad_labels_are_named()
    {
        var prediction = await LogAsync("dry");
        (await Should.ThrowAsync<LabelRejectedException>(() => Writer().ChangeAsync(prediction, "dry", "wet", "Ada", Ct))).StatusCode.ShouldBe(409);

        await Writer().WriteAsync(prediction, "dry", "Ada", Ct);
        await Writer().ChangeAsync(prediction, "dry", "wet", "Grace", Ct);
        var stale = await Should.ThrowAsync<LabelRejectedException>(() => Writer().ChangeAsync(prediction, "dry", "wet", "Ada", Ct));
        stale.StatusCode.ShouldBe(409);
        stale.Message.ShouldContain("labelled 'wet' by Grace");

        (await Should.ThrowAsync<LabelRejectedException>(() => Writer().ChangeAsync(prediction, "wet", "wet", "Ada", Ct))).StatusCode.ShouldBe(400);
        var bad = await Should.ThrowAsync<LabelRejectedException>(() => Writer().ChangeAsync(prediction, "wet", "snow", "Ada", Ct));
        bad.StatusCode.ShouldBe(400);
        bad.Message.ShouldContain("'snow'");
        (await EntryAsync(prediction)).History!.Count.ShouldBe(2);
        await ShouldBeOnlyInAsync(prediction, "wet");
    }

    public void Dispose()
    {
        TestFolders.DeleteQuietly(_cache);
        _folders.ForEach(TestFolders.DeleteQuietly);
    }

    /// <summary>A temp folder deleted with the test.</summary>
    protected string TempFolder(string name)
    {
        var folder = TestFolders.NewTempDirectory(name);
        _folders.Add(folder);
        return folder;
    }

    private TrainingLabelWriter Writer() => new(NewStore(), new WebCache(_cache), NullLogger<TrainingLabelWriter>.Instance);

    private async Task<LoggedPrediction> LogAsync(string predicted)
    {
        var id = Guid.NewGuid().ToString("N")[..12];
        var record = await LoggedPredictions.WriteAsync(NewStore(), id, predicted, 0.55f, TestImages.Road(wet: predicted == "wet"));
        var date = $"{record.Time:yyyy-MM-dd}";
        return new LoggedPrediction(record, date, $"predictions/{date}/{id}.json", $"predictions/{date}/{id}.jpg", null);
    }

    private async Task<LabelManifestEntry> EntryAsync(LoggedPrediction prediction)
    {
        var read = await NewStore().ReadAsync(PredictionLog.DataBucket, TrainingLabelWriter.ManifestKey(prediction.Record.Id), 1 << 20, Ct);
        return JsonSerializer.Deserialize<LabelManifestEntry>(read.Content, PredictionLogRecord.Json)!;
    }

    /// <summary>The image is in the class folder of <paramref name="label"/> and in no other.</summary>
    private async Task ShouldBeOnlyInAsync(LoggedPrediction prediction, string label)
    {
        var keys = (await NewStore().ListAsync(PredictionLog.DataBucket, cancellationToken: Ct)).Select(o => o.Key)
            .Where(k => k.Contains(prediction.Record.Id, StringComparison.Ordinal) && !k.StartsWith('.')).ToList();
        keys.ShouldBe([$"{label}/{prediction.Record.Id}.jpg"]);
    }

    /// <summary>Starts <paramref name="count"/> reviewers together on the thread pool and collects how each ended.</summary>
    private static async Task<(string Reviewer, T Result, LabelRejectedException? Error)[]> RaceAsync<T>(int count, Func<int, Task<T>> review)
    {
        var start = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var reviewers = Enumerable.Range(0, count).Select(i => Task.Run(async () =>
        {
            await start.Task;
            try
            {
                return ($"reviewer-{i}", await review(i), (LabelRejectedException?)null);
            }
            catch (LabelRejectedException ex)
            {
                return ($"reviewer-{i}", default(T)!, ex);
            }
        })).ToArray();
        start.SetResult();
        return await Task.WhenAll(reviewers);
    }
}

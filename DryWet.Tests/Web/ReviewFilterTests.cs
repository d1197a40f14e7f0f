using DryWet.Core.Feedback;
using DryWet.Web.Review;

namespace DryWet.Tests.Web;

/// <summary>
/// The review grid's query: bad values become one message and are ignored; least confident first, or champion/shadow
/// disagreements first; and the live-gate counter above it.
/// </summary>
public sealed class ReviewFilterTests
{
    [Fact]
    public void Bad_query_values_are_named_in_one_message_and_ignored()
    {
        var (filter, problem) = ReviewFilter.Parse("wet", "01-12-2026", "1.5", "random", take: null);

        problem.ShouldBe("Ignored: date '01-12-2026' is not yyyy-MM-dd; confidence '1.5' is not a number from 0 to 1; sort 'random' is not 'least', 'disagreement', 'newest'.");
        filter.ShouldBe(new ReviewFilter("wet", null, null, ReviewOrder.LeastConfident, ReviewFilter.DefaultTake));
    }

    [Fact]
    public void Filters_select_by_class_date_and_confidence_and_put_unreviewed_least_confident_first()
    {
        var all = new[]
        {
            Logged("a", "wet", 0.90f, "2026-12-01"), Logged("b", "wet", 0.55f, "2026-12-01"), Logged("c", "dry", 0.51f, "2026-12-01"),
            Logged("d", "wet", 0.60f, "2026-11-30"), Logged("e", "wet", 0.52f, "2026-12-01", reviewed: true),
        };

        var (wetToday, _) = ReviewFilter.Parse("wet", "2026-12-01", "0.95", "least", take: null);
        wetToday.Apply(Snapshot(all)).Select(p => p.Record.Id).ShouldBe(["b", "a", "e"]);
        var (unsure, _) = ReviewFilter.Parse(null, null, "0.6", null, take: 2);
        unsure.Apply(Snapshot(all)).Select(p => p.Record.Id).ShouldBe(["c", "b"]);
    }

    [Fact]
    public void Disagreement_order_puts_unreviewed_disagreements_first_then_other_shadowed_requests_then_the_rest_least_confident_first()
    {
        var all = new[]
        {
            Logged("sure-disagree", "wet", 0.95f, "2026-12-01", shadow: ("2", "dry")), Logged("unsure-agree", "wet", 0.51f, "2026-12-01", shadow: ("2", "wet")),
            Logged("unsure-alone", "dry", 0.50f, "2026-12-01"), Logged("done-disagree", "dry", 0.60f, "2026-12-01", reviewed: true, shadow: ("2", "wet")),
            Logged("mid-disagree", "dry", 0.70f, "2026-12-01", shadow: ("2", "wet")),
        };

        var (filter, problem) = ReviewFilter.Parse(null, null, null, "disagreement", take: null);

        problem.ShouldBeNull();
        filter.Order.ShouldBe(ReviewOrder.Disagreement);
        filter.Apply(Snapshot(all)).Select(p => p.Record.Id).ShouldBe(["mid-disagree", "sure-disagree", "unsure-agree", "unsure-alone", "done-disagree"]);
    }

    [Fact]
    public void Newest_order_goes_by_time_ties_keep_the_listing_order_and_the_snapshot_counts_once_for_the_page()
    {
        var all = new[]
        {
            Logged("old", "wet", 0.51f, "2026-11-30"), Logged("tie-a", "dry", 0.90f, "2026-12-01"), Logged("tie-b", "wet", 0.52f, "2026-12-01", reviewed: true),
            Logged("new", "wet", 0.99f, "2026-12-02"), Logged("tie-c", "wet", 0.90f, "2026-12-01"),
        };
        var snapshot = Snapshot(all);

        var (newest, _) = ReviewFilter.Parse(null, null, null, "newest", take: null);
        newest.Apply(snapshot).Select(p => p.Record.Id).ShouldBe(["new", "tie-a", "tie-b", "tie-c", "old"]);
        // Least confident: unreviewed first; equal confidence and time keep the listing's order.
        ReviewFilter.Default.Apply(snapshot).Select(p => p.Record.Id).ShouldBe(["old", "tie-a", "tie-c", "new", "tie-b"]);
        snapshot.Ordered(ReviewOrder.Newest).ShouldBeSameAs(snapshot.Ordered(ReviewOrder.Newest));
        snapshot.Reviewed.ShouldBe(1);
        snapshot.Classes.ShouldBe(["dry", "wet"]);
        snapshot.Dates.ShouldBe(["2026-12-02", "2026-12-01", "2026-11-30"]);
        snapshot.Find("2026-12-01", "tie-b")!.Review.ShouldNotBeNull();
        snapshot.Find("2026-12-02", "tie-b").ShouldBeNull();
        snapshot.Gate.ShouldBeNull();
    }

    [Fact]
    public void The_live_gate_counts_reviewed_requests_both_answered_for_the_version_pair_of_the_newest_shadowed_request()
    {
        LiveGateProgress.From([Logged("a", "wet", 0.9f, "2026-12-01", reviewed: true)], 50).ShouldBeNull();

        var all = new[]
        {
            Logged("old-pair", "wet", 0.9f, "2026-11-30", reviewed: true, shadow: ("1", "dry")),
            Logged("agree", "wet", 0.9f, "2026-12-01", reviewed: true, shadow: ("2", "wet")),
            Logged("disagree", "dry", 0.8f, "2026-12-01", reviewed: true, shadow: ("2", "wet")),
            Logged("unreviewed", "dry", 0.8f, "2026-12-01", shadow: ("2", "wet")),
            Logged("no-shadow", "dry", 0.8f, "2026-12-01", reviewed: true),
            Logged("newest", "dry", 0.7f, "2026-12-02", shadow: ("2", "dry")),
        };

        var gate = LiveGateProgress.From(all, 50).ShouldNotBeNull();

        gate.ShouldBe(new LiveGateProgress("1", "2", Reviewed: 2, Disagreements: 1, Required: 50));
        gate.Remaining.ShouldBe(48);
        LiveGateProgress.From(all, 2)!.Remaining.ShouldBe(0);
        LiveGateProgress.DefaultRequired.ShouldBe(50);
    }

    private static PredictionLogSnapshot Snapshot(LoggedPrediction[] all) => new(all, bucketExists: true, []);

    private static LoggedPrediction Logged(string id, string prediction, float confidence, string date, bool reviewed = false,
        (string Version, string Prediction)? shadow = null)
    {
        var other = prediction == "wet" ? "dry" : "wet";
        var answer = shadow is { } s ? new ShadowAnswer(s.Version, s.Prediction, new Dictionary<string, float> { [s.Prediction] = 0.8f }) : null;
        var record = new PredictionLogRecord(id, DateTimeOffset.Parse(date + "T12:00:00Z"), "dry_wet_model", "1", prediction,
            new Dictionary<string, float> { [prediction] = confidence, [other] = 1 - confidence }, "image/jpeg", 100, null, answer);
        var review = reviewed ? new LabelManifestEntry(id, prediction, prediction, false, "Ada", DateTimeOffset.UtcNow, $"{prediction}/{id}.jpg", "k", "dry_wet_model", "1", confidence, null) : null;
        return new LoggedPrediction(record, date, $"predictions/{date}/{id}.json", $"predictions/{date}/{id}.jpg", review);
    }
}

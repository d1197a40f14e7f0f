using DryWet.Core.Feedback;
using DryWet.Web.Review;

namespace DryWet.Tests.Web;

/// <summary>The review grid's query: bad values become one message and are ignored; the order is least confident first.</summary>
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
        wetToday.Apply(all).Select(p => p.Record.Id).ShouldBe(["b", "a", "e"]);
        var (unsure, _) = ReviewFilter.Parse(null, null, "0.6", null, take: 2);
        unsure.Apply(all).Select(p => p.Record.Id).ShouldBe(["c", "b"]);
    }

    private static LoggedPrediction Logged(string id, string prediction, float confidence, string date, bool reviewed = false)
    {
        var other = prediction == "wet" ? "dry" : "wet";
        var record = new PredictionLogRecord(id, DateTimeOffset.Parse(date + "T12:00:00Z"), "dry_wet_model", "1", prediction,
            new Dictionary<string, float> { [prediction] = confidence, [other] = 1 - confidence }, "image/jpeg", 100, null);
        var review = reviewed ? new LabelManifestEntry(id, prediction, prediction, false, "Ada", DateTimeOffset.UtcNow, $"{prediction}/{id}.jpg", "k", "dry_wet_model", "1", confidence, null) : null;
        return new LoggedPrediction(record, date, $"predictions/{date}/{id}.json", $"predictions/{date}/{id}.jpg", review);
    }
}

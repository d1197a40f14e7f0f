using System.Globalization;

namespace DryWet.Web.Review;

/// <summary>The review grid's query (<c>?class=wet&amp;date=2026-12-01&amp;max=0.8&amp;sort=disagreement</c>), already checked.</summary>
public sealed record ReviewFilter(string? PredictedClass, string? Date, float? MaxConfidence, ReviewOrder Order, int Take)
{
    public const int DefaultTake = 60;

    public static ReviewFilter Default { get; } = new(null, null, null, ReviewOrder.LeastConfident, DefaultTake);

    /// <summary>The <c>sort</c> values, as the page offers them.</summary>
    public static IReadOnlyList<(string Value, ReviewOrder Order, string Text)> Orders { get; } =
    [
        ("least", ReviewOrder.LeastConfident, "least confident first"),
        ("disagreement", ReviewOrder.Disagreement, "champion and shadow disagree first"),
        ("newest", ReviewOrder.Newest, "newest first"),
    ];

    /// <summary>Parses the query; a bad value becomes a message for the page, never an exception.</summary>
    public static (ReviewFilter Filter, string? Problem) Parse(string? predictedClass, string? date, string? maxConfidence, string? sort, int? take)
    {
        var problems = new List<string>();
        if (!string.IsNullOrEmpty(date) && !DateOnly.TryParseExact(date, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out _))
        {
            problems.Add($"date '{date}' is not yyyy-MM-dd");
            date = null;
        }

        float? max = null;
        if (!string.IsNullOrEmpty(maxConfidence))
        {
            if (float.TryParse(maxConfidence, NumberStyles.Float, CultureInfo.InvariantCulture, out var m) && m is >= 0 and <= 1)
            {
                max = m;
            }
            else
            {
                problems.Add($"confidence '{maxConfidence}' is not a number from 0 to 1");
            }
        }

        var order = ReviewOrder.LeastConfident;
        if (!string.IsNullOrEmpty(sort))
        {
            if (Orders.FirstOrDefault(o => o.Value == sort) is { Value: not null } known)
            {
                order = known.Order;
            }
            else
            {
                problems.Add($"sort '{sort}' is not {string.Join(", ", Orders.Select(o => $"'{o.Value}'"))}");
            }
        }

        var filter = new ReviewFilter(string.IsNullOrEmpty(predictedClass) ? null : predictedClass, string.IsNullOrEmpty(date) ? null : date,
            max, order, Math.Clamp(take ?? DefaultTake, 1, 500));
        return (filter, problems.Count == 0 ? null : $"Ignored: {string.Join("; ", problems)}.");
    }

    /// <summary>
    /// The cards to show: the snapshot's predictions in this order (sorted once per snapshot), those matching the
    /// filters, at most <see cref="Take"/>; the scan stops at the last card shown.
    /// </summary>
    public IReadOnlyList<LoggedPrediction> Apply(PredictionLogSnapshot snapshot) =>
        snapshot.Ordered(Order)
            .Where(p => (PredictedClass is null || p.Record.Prediction == PredictedClass)
                        && (Date is null || p.Date == Date)
                        && (MaxConfidence is null || p.Record.Confidence <= MaxConfidence))
            .Take(Take)
            .ToList();
}

namespace DryWet.Web.Review;

/// <summary>
/// The review grid's orders (<see cref="ReviewOrder"/>) over all logged predictions, with each card's sort key computed
/// once (not once per comparison); ties keep the listing's key order, as a stable sort would.
/// </summary>
internal static class ReviewOrdering
{
    public static LoggedPrediction[] Sort(IReadOnlyList<LoggedPrediction> predictions, ReviewOrder order)
    {
        var keys = new SortKey[predictions.Count];
        for (var i = 0; i < keys.Length; i++)
        {
            var p = predictions[i];
            keys[i] = order switch
            {
                // Newest first: only the time counts.
                ReviewOrder.Newest => new SortKey(0, 0, 0, -p.Record.Time.UtcTicks, i),
                // Unreviewed first; then where the shadow answered otherwise, then where it answered alike (both pair
                // champion and challenger for the live gate), then the rest; within each, least confident, then newest.
                ReviewOrder.Disagreement => new SortKey(p.Review is null ? 0 : 1, p.Disagrees ? 0 : p.Record.Shadow is null ? 2 : 1, p.Record.Confidence, -p.Record.Time.UtcTicks, i),
                // Unreviewed first, then least confident, then newest.
                _ => new SortKey(p.Review is null ? 0 : 1, 0, p.Record.Confidence, -p.Record.Time.UtcTicks, i),
            };
        }

        Array.Sort(keys);
        var sorted = new LoggedPrediction[keys.Length];
        for (var i = 0; i < keys.Length; i++)
        {
            sorted[i] = predictions[keys[i].Index];
        }

        return sorted;
    }

    private readonly record struct SortKey(int Reviewed, int Pairing, float Confidence, long NegativeTicks, int Index) : IComparable<SortKey>
    {
        public int CompareTo(SortKey other)
        {
            var c = Reviewed.CompareTo(other.Reviewed);
            c = c != 0 ? c : Pairing.CompareTo(other.Pairing);
            c = c != 0 ? c : Confidence.CompareTo(other.Confidence);
            c = c != 0 ? c : NegativeTicks.CompareTo(other.NegativeTicks);
            return c != 0 ? c : Index.CompareTo(other.Index);
        }
    }
}

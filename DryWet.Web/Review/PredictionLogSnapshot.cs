namespace DryWet.Web.Review;

/// <summary>
/// What the review page lists: the logged predictions of one listing (in key order) with their reviews. Immutable;
/// everything a page derives from all of them — each order, the counters, the lookup by date and id — is computed once
/// per snapshot, so a page render over an unchanged log costs only the 60 cards it shows.
/// </summary>
public sealed class PredictionLogSnapshot
{
    private readonly Dictionary<string, LoggedPrediction> _byDateAndId;
    private readonly Lazy<LoggedPrediction[]>[] _orders;
    private readonly Lazy<IReadOnlyList<string>> _classes;
    private readonly Lazy<IReadOnlyList<string>> _dates;
    private readonly Lazy<LiveGateProgress?> _gate;

    public PredictionLogSnapshot(IReadOnlyList<LoggedPrediction> predictions, bool bucketExists, IReadOnlyList<string> unreadable)
    {
        Predictions = predictions;
        BucketExists = bucketExists;
        Unreadable = unreadable;
        _byDateAndId = new Dictionary<string, LoggedPrediction>(predictions.Count, StringComparer.Ordinal);
        foreach (var p in predictions)
        {
            _byDateAndId.TryAdd(Key(p.Date, p.Record.Id), p);
            Reviewed += p.Review is null ? 0 : 1;
        }

        _orders = Enum.GetValues<ReviewOrder>().Select(o => new Lazy<LoggedPrediction[]>(() => ReviewOrdering.Sort(predictions, o))).ToArray();
        _classes = new(() => predictions.Select(p => p.Record.Prediction).Distinct().Order(StringComparer.Ordinal).ToList());
        _dates = new(() => predictions.Select(p => p.Date).Distinct().OrderDescending(StringComparer.Ordinal).ToList());
        _gate = new(() => LiveGateProgress.From(predictions, LiveGateProgress.DefaultRequired));
    }

    public static PredictionLogSnapshot NoBucket { get; } = new([], bucketExists: false, []);

    public IReadOnlyList<LoggedPrediction> Predictions { get; }

    public bool BucketExists { get; }

    /// <summary>Logged files that could not be read (each with the reason), e.g. a record whose image is missing.</summary>
    public IReadOnlyList<string> Unreadable { get; }

    /// <summary>How many of <see cref="Predictions"/> have a review.</summary>
    public int Reviewed { get; }

    /// <summary>The predicted classes, for the filter.</summary>
    public IReadOnlyList<string> Classes => _classes.Value;

    /// <summary>The log's dates, newest first, for the filter.</summary>
    public IReadOnlyList<string> Dates => _dates.Value;

    /// <summary>The live gate's progress (<see cref="LiveGateProgress.DefaultRequired"/> reviews); null when no request has a shadow answer.</summary>
    public LiveGateProgress? Gate => _gate.Value;

    /// <summary>Every prediction in <paramref name="order"/>, sorted once per snapshot.</summary>
    public IReadOnlyList<LoggedPrediction> Ordered(ReviewOrder order) => _orders[(int)order].Value;

    /// <summary>The prediction logged on <paramref name="date"/> as <paramref name="id"/>, or null when this listing has none.</summary>
    public LoggedPrediction? Find(string date, string id) => _byDateAndId.GetValueOrDefault(Key(date, id));

    private static string Key(string date, string id) => $"{date}/{id}";
}

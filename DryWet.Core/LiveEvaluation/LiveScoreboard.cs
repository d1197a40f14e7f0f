namespace DryWet.Core.LiveEvaluation;

/// <summary>
/// Scores reviewed requests as they stream past: per version, right answers of all reviewed ones it answered; per
/// (champion, shadow) pair of versions, the 2×2 table on the requests both answered. Counts only — memory grows with
/// the number of versions, not with the number of requests.
/// </summary>
public sealed class LiveScoreboard
{
    private readonly Dictionary<string, (long Correct, long Reviewed)> _versions = new(StringComparer.Ordinal);
    private readonly Dictionary<(string Champion, string Shadow), long[]> _pairs = [];

    public long Requests { get; private set; }

    public void Add(ReviewedRequest request)
    {
        Requests++;
        Count(request.ChampionVersion, request.ChampionRight);
        if (!request.HasShadow)
        {
            return;
        }

        Count(request.ShadowVersion!, request.ShadowRight);
        var key = (request.ChampionVersion, request.ShadowVersion!);
        if (!_pairs.TryGetValue(key, out var cells))
        {
            _pairs[key] = cells = new long[4];
        }

        cells[(request.ChampionRight, request.ShadowRight) switch { (true, true) => 0, (true, false) => 1, (false, true) => 2, _ => 3 }]++;
    }

    public static LiveScoreboard From(IEnumerable<ReviewedRequest> requests)
    {
        var board = new LiveScoreboard();
        foreach (var request in requests)
        {
            board.Add(request);
        }

        return board;
    }

    /// <summary>Every version that answered a reviewed request, highest version number first.</summary>
    public IReadOnlyList<LiveAccuracy> Versions => _versions
        .Select(v => new LiveAccuracy(v.Key, v.Value.Correct, v.Value.Reviewed))
        .OrderByDescending(v => long.TryParse(v.Version, out var n) ? n : -1).ThenBy(v => v.Version, StringComparer.Ordinal)
        .ToList();

    public LiveAccuracy? For(string version) =>
        _versions.TryGetValue(version, out var v) ? new LiveAccuracy(version, v.Correct, v.Reviewed) : null;

    /// <summary>The champion and the shadow on the requests both answered; all zero when there are none.</summary>
    public PairedComparison Compare(string championVersion, string shadowVersion)
    {
        var cells = _pairs.GetValueOrDefault((championVersion, shadowVersion)) ?? new long[4];
        return new PairedComparison(championVersion, shadowVersion, cells[0], cells[1], cells[2], cells[3]);
    }

    private void Count(string version, bool right)
    {
        var (correct, reviewed) = _versions.GetValueOrDefault(version);
        _versions[version] = (correct + (right ? 1 : 0), reviewed + 1);
    }
}

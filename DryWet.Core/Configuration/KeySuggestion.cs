namespace DryWet.Core.Configuration;

/// <summary>"Did you mean …?" for a misspelt setting: the closest known name by edit distance, if any is close.</summary>
public static class KeySuggestion
{
    /// <summary>The nearest of <paramref name="known"/> to <paramref name="key"/> (case-insensitive), or null when none is close.</summary>
    public static string? Nearest(string key, IEnumerable<string> known)
    {
        ArgumentNullException.ThrowIfNull(key);
        string? best = null;
        var bestDistance = int.MaxValue;
        foreach (var candidate in known)
        {
            var distance = Distance(key.ToLowerInvariant(), candidate.ToLowerInvariant());
            if (distance < bestDistance)
            {
                best = candidate;
                bestDistance = distance;
            }
        }

        // Close means a few edits relative to the name's length: "trainig" → "training", not "foo" → "loss".
        return best is not null && bestDistance <= Math.Max(2, best.Length / 3) ? best : null;
    }

    /// <summary>"unknown key 'x' (did you mean 'y'?)" or "unknown key 'x' (valid keys: a, b, c)".</summary>
    public static string UnknownKeyMessage(string path, string key, IReadOnlyCollection<string> known)
    {
        var nearest = Nearest(key, known);
        return nearest is not null
            ? $"{path}: unknown key (did you mean '{nearest}'?)"
            : $"{path}: unknown key (valid keys here: {string.Join(", ", known)})";
    }

    /// <summary>Optimal string alignment distance: insertions, deletions, substitutions and adjacent transpositions.</summary>
    internal static int Distance(string a, string b)
    {
        var d = new int[a.Length + 1, b.Length + 1];
        for (var i = 0; i <= a.Length; i++)
        {
            d[i, 0] = i;
        }

        for (var j = 0; j <= b.Length; j++)
        {
            d[0, j] = j;
        }

        for (var i = 1; i <= a.Length; i++)
        {
            for (var j = 1; j <= b.Length; j++)
            {
                var cost = a[i - 1] == b[j - 1] ? 0 : 1;
                d[i, j] = Math.Min(Math.Min(d[i - 1, j] + 1, d[i, j - 1] + 1), d[i - 1, j - 1] + cost);
                if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1])
                {
                    d[i, j] = Math.Min(d[i, j], d[i - 2, j - 2] + 1);
                }
            }
        }

        return d[a.Length, b.Length];
    }
}

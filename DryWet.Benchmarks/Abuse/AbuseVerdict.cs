namespace DryWet.Benchmarks.Abuse;

/// <summary>The limits a scenario's measurements broke, each as one sentence naming the scenario, the figure and the limit.</summary>
internal static class AbuseVerdict
{
    public static IReadOnlyList<string> Check(AbuseScenario scenario, StatusMix requests, StatusMix? reloads, StatusMix? thumbnails, AliveReport servingAlive,
        AliveReport webAlive, MemoryReport serving, MemoryReport web, RecoveryReport recovery, AbuseLimits limits)
    {
        var violations = new List<string>();
        void Add(string text) => violations.Add($"{scenario.Name}: {text}");
        if (serving.PeakMb > limits.ServingRssMb)
        {
            Add($"serving peak RSS {serving.PeakMb:F0} MB > {limits.ServingRssMb:F0} MB");
        }

        if (web.PeakMb > limits.WebRssMb)
        {
            Add($"web peak RSS {web.PeakMb:F0} MB > {limits.WebRssMb:F0} MB");
        }

        foreach (var (name, alive) in new[] { ("serving", servingAlive), ("web", webAlive) })
        {
            if (alive.Latency.P99Ms >= limits.AliveP99Ms)
            {
                Add($"{name} /alive p99 {alive.Latency.P99Ms:F0} ms ≥ {limits.AliveP99Ms:F0} ms (max {alive.Latency.MaxMs:F0} ms)");
            }

            if (alive.Failed > 0)
            {
                Add($"{name} /alive failed {alive.Failed} of {alive.Latency.Count} probes (no 200 within {AliveProber.ProbeTimeout.TotalSeconds:F0} s)");
            }
        }

        AddFailures(requests, scenario.RedirectAllowed, "requests", Add);
        if (reloads is not null)
        {
            AddFailures(reloads, redirectAllowed: false, "reloads", Add);
            if (reloads.Success != reloads.Total)
            {
                Add($"{reloads.Total - reloads.Success} of {reloads.Total} reloads with the admin key did not answer 2xx");
            }
        }

        if (scenario.MustBePrivate && requests.Success > 0)
        {
            Add($"the web served {requests.Success} of {requests.Total} thumbnails to a visitor without a sign-in cookie");
        }

        if (thumbnails is not null)
        {
            AddFailures(thumbnails, redirectAllowed: true, "thumbnails", Add);
            if (thumbnails.Success > 0)
            {
                Add($"the web served {thumbnails.Success} of {thumbnails.Total} thumbnails to a visitor without a sign-in cookie");
            }
        }

        if (recovery.Status != 200 || recovery.Milliseconds > limits.RecoveryMs)
        {
            Add($"the next valid /predict got {recovery.Status?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "no answer"} after {recovery.Milliseconds:F0} ms (want 200 within {limits.RecoveryMs:F0} ms)");
        }

        return violations;
    }

    private static void AddFailures(StatusMix mix, bool redirectAllowed, string what, Action<string> add)
    {
        if (mix.Failures(redirectAllowed) == 0)
        {
            return;
        }

        var parts = new List<string>();
        void Part(long count, string label)
        {
            if (count > 0)
            {
                parts.Add($"{count} {label}");
            }
        }

        Part(mix.UnavailableWithoutRetryAfter, "× 503 without Retry-After");
        Part(mix.ServerError, "× 5xx other than 503");
        Part(redirectAllowed ? 0 : mix.Redirect, "× 3xx");
        Part(mix.ConnectionErrors, "connection errors");
        Part(mix.Timeouts, "without an answer in time");
        add($"{what}: {string.Join(", ", parts)} (only 2xx, 4xx and 503 with Retry-After are allowed)");
    }
}

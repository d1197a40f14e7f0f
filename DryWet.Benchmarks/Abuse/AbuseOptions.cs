namespace DryWet.Benchmarks.Abuse;

/// <summary>The <c>abuse</c> command's options (see <see cref="AbuseBenchmark"/>), read and checked once.</summary>
internal sealed record AbuseOptions(
    int Seconds,
    int? Clients,
    TimeSpan? Soak,
    string? Model,
    string ReportPath,
    int Reloads,
    int RequestTimeoutSeconds,
    AbuseLimits Limits)
{
    /// <summary>The published serving pod limit (AppHost: <c>memoryLimit: "1536Mi"</c>), the bound for a real model.</summary>
    public const double PublishedServingLimitMb = 1536;

    public static AbuseOptions Read(string[] args)
    {
        var arguments = new BenchmarkArguments(args);
        var model = arguments.String("--model");
        var options = new AbuseOptions(
            Seconds: arguments.Int("--seconds", 15),
            Clients: arguments.String("--clients") is null ? null : arguments.Int("--clients", 0),
            Soak: arguments.Duration("--soak"),
            Model: model,
            ReportPath: Path.GetFullPath(arguments.String("--report", Path.Combine(Path.GetTempPath(), $"drywet-abuse-{DateTime.UtcNow:yyyyMMdd-HHmmss}.json"))),
            Reloads: arguments.Int("--reloads", 5),
            RequestTimeoutSeconds: arguments.Int("--request-timeout", 60),
            Limits: new AbuseLimits(
                ServingRssMb: arguments.Int("--rss-limit-mb", model is null ? 1024 : (int)PublishedServingLimitMb),
                WebRssMb: arguments.Int("--web-rss-limit-mb", 512),
                AliveP99Ms: arguments.Int("--alive-limit-ms", 1000),
                RecoveryMs: arguments.Int("--recovery-limit-ms", 2000),
                DriftMb: arguments.Int("--drift-limit-mb", 128)));
        if (options.Seconds < 1 || options.Clients is < 1 || options.Reloads < 0 || options.RequestTimeoutSeconds < 1)
        {
            throw new BenchmarkArgumentException(
                $"--seconds ({options.Seconds}), --clients ({options.Clients}) and --request-timeout ({options.RequestTimeoutSeconds}) must be at least 1, --reloads ({options.Reloads}) at least 0.");
        }

        return options;
    }

    /// <summary>The client count of a scenario: the table's, or <c>--clients</c> for every scenario.</summary>
    public int ClientsFor(int tableClients) => Clients ?? tableClients;
}

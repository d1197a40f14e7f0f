namespace DryWet.Benchmarks.Abuse;

/// <summary>
/// One kind of abuse: <c>Clients</c> loops sending <c>Request(client, n)</c> to <c>Target</c> ("serving" or "web") for the
/// scenario's duration, at most <c>MaxPerClient</c> each; meanwhile <c>Reloads</c> reloads of the model (spread over the
/// duration) and one anonymous request for each of the <c>Thumbnails</c> (at the start), each counted in a mix of its own.
/// <c>RedirectAllowed</c>: a 3xx is an acceptable answer (the web sending an anonymous visitor to sign in).
/// <c>MustBePrivate</c>: a 2xx is a violation (review data served without sign-in).
/// </summary>
internal sealed record AbuseScenario(
    string Name,
    string Description,
    string Target,
    int Clients,
    Func<int, int, HttpRequestMessage> Request,
    int MaxPerClient = 100_000,
    bool RedirectAllowed = false,
    bool MustBePrivate = false,
    int Reloads = 0,
    IReadOnlyList<LoggedBomb>? Thumbnails = null);

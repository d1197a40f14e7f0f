namespace DryWet.TrainingWorker.Watching;

/// <summary>One check's outcome, logged as a structured line and counted.</summary>
/// <param name="Sha256">The archive's SHA-256 (<c>--object</c>) or the dataset version (the whole prefix).</param>
public sealed record WatchDecision(WatchDecisionKind Kind, string Message, string? Sha256 = null)
{
    public string Name => Kind switch
    {
        WatchDecisionKind.NoData => "no_data",
        WatchDecisionKind.AlreadyTrained => "already_trained",
        WatchDecisionKind.FailedBefore => "failed_before",
        WatchDecisionKind.AwaitingLabels => "awaiting_labels",
        _ => Kind.ToString().ToLowerInvariant(),
    };
}

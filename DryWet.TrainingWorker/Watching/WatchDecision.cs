namespace DryWet.TrainingWorker.Watching;

/// <summary>One check's outcome, logged as a structured line and counted.</summary>
public sealed record WatchDecision(WatchDecisionKind Kind, string Message, string? Sha256 = null)
{
    public string Name => Kind switch
    {
        WatchDecisionKind.NoData => "no_data",
        WatchDecisionKind.AlreadyTrained => "already_trained",
        WatchDecisionKind.FailedBefore => "failed_before",
        _ => Kind.ToString().ToLowerInvariant(),
    };
}

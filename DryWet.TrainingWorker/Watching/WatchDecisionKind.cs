namespace DryWet.TrainingWorker.Watching;

/// <summary>What one check of the watched object led to (the <c>decision</c> label of <c>drywet_watch_decisions_total</c>).</summary>
public enum WatchDecisionKind
{
    /// <summary>The object does not exist (yet).</summary>
    NoData,

    /// <summary>Same size and time as what was last handled.</summary>
    Unchanged,

    /// <summary>New or changed, but changed again within the debounce time (an upload still in progress).</summary>
    Settling,

    /// <summary>New bytes, same content as a dataset already trained (by hash).</summary>
    AlreadyTrained,

    /// <summary>The content a previous run failed on; retried only when the data changes.</summary>
    FailedBefore,

    /// <summary>Only reviewed labels changed, fewer than <c>DryWet:Watcher:MinNewLabels</c> since the last run: wait for more.</summary>
    AwaitingLabels,

    /// <summary>A training run was started and finished (the gate decided what it became).</summary>
    Trained,

    /// <summary>A training run was started and failed.</summary>
    Failed,
}

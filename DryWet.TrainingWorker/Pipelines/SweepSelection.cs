namespace DryWet.TrainingWorker.Pipelines;

/// <summary>The sweep's verdict: the candidate with the highest best_val_acc; on a tie the first listed, so the choice never depends on anything but the list.</summary>
public static class SweepSelection
{
    public static SweepCandidate Best(IReadOnlyList<SweepCandidate> candidates)
    {
        ArgumentOutOfRangeException.ThrowIfZero(candidates.Count);
        var best = candidates[0];
        foreach (var candidate in candidates.Skip(1))
        {
            if (candidate.BestValAcc > best.BestValAcc)
            {
                best = candidate;
            }
        }

        return best;
    }
}

namespace DryWet.TrainingWorker.Training;

/// <summary>
/// The original's <c>EarlyStopping(patience, min_delta)</c> on val_acc: stop once val_acc has not improved on the best
/// by more than <c>min_delta</c> for <c>patience</c> epochs in a row.
/// </summary>
public sealed class EarlyStopping(int patience, double minDelta)
{
    private double? best;
    private int counter;

    public bool ShouldStop { get; private set; }

    /// <summary>Feeds one epoch's val_acc; returns <see cref="ShouldStop"/>.</summary>
    public bool Step(double valAcc)
    {
        if (best is null || valAcc > best + minDelta)
        {
            best = valAcc;
            counter = 0;
        }
        else if (++counter >= patience)
        {
            ShouldStop = true;
        }

        return ShouldStop;
    }
}

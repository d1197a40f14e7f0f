namespace DryWet.TrainingWorker.Training;

/// <summary>
/// PyTorch's <c>ReduceLROnPlateau</c> (threshold 1e-4 relative, cooldown 0, min_lr 0, eps 1e-8): after more than
/// <c>patience</c> epochs without improvement of the monitored value the learning rate is multiplied by <c>factor</c>.
/// The original steps it on val_acc with <c>mode: max</c>. Kept free of TorchSharp so it is unit-testable.
/// </summary>
public sealed class PlateauScheduler(string mode, double factor, int patience, double learningRate)
{
    private const double Threshold = 1e-4;
    private const double Eps = 1e-8;
    private double best = mode == "max" ? double.NegativeInfinity : double.PositiveInfinity;
    private int badEpochs;

    public double LearningRate { get; private set; } = learningRate;

    /// <summary>Feeds one epoch's value; returns true when the learning rate was reduced.</summary>
    public bool Step(double value)
    {
        var better = mode == "max" ? value > best * (1 + Threshold) : value < best * (1 - Threshold);
        if (better)
        {
            best = value;
            badEpochs = 0;
        }
        else
        {
            badEpochs++;
        }

        if (badEpochs <= patience)
        {
            return false;
        }

        badEpochs = 0;
        var reduced = LearningRate * factor;
        if (LearningRate - reduced <= Eps)
        {
            return false;
        }

        LearningRate = reduced;
        return true;
    }
}

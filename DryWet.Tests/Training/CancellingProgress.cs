using DryWet.TrainingWorker.Training;

namespace DryWet.Tests.Training;

/// <summary>Progress that cancels its token when the first training step completes, as a Ctrl+C in mid-epoch would.</summary>
internal sealed class CancellingProgress(CancellationTokenSource cancellation) : ITrainingProgress
{
    public int StepsCompleted { get; private set; }

    public int EpochsCompleted { get; private set; }

    public void EpochStarted(int epoch, int epochs, int steps) { }

    public void StepCompleted(int epoch, int step, int steps, double loss, double accuracy, double imagesPerSecond)
    {
        StepsCompleted++;
        cancellation.Cancel();
    }

    public void EpochCompleted(EpochMetrics metrics, bool improved, bool learningRateReduced) => EpochsCompleted++;

    public void Message(string text) { }
}

using System.Diagnostics;
using DryWet.TrainingWorker.Training;

namespace DryWet.Benchmarks;

/// <summary>The time from the end of the first step to the end of the last one.</summary>
internal sealed class StepClock : ITrainingProgress
{
    private long? firstStepEnded;
    private long lastStepEnded;

    public TimeSpan? Window => firstStepEnded is { } first && lastStepEnded > first ? Stopwatch.GetElapsedTime(first, lastStepEnded) : null;

    public void EpochStarted(int epoch, int epochs, int steps) { }

    public void StepCompleted(int epoch, int step, int steps, double loss, double accuracy, double imagesPerSecond)
    {
        var now = Stopwatch.GetTimestamp();
        firstStepEnded ??= now;
        lastStepEnded = now;
    }

    public void EpochCompleted(EpochMetrics metrics, bool improved, bool learningRateReduced) { }

    public void Message(string text) { }
}

namespace DryWet.TrainingWorker.Training;

/// <summary>One epoch's numbers, as logged per epoch (MLflow step = epoch).</summary>
public sealed record EpochMetrics(
    int Epoch,
    double TrainLoss,
    double TrainAcc,
    double ValLoss,
    double ValAcc,
    double LearningRate,
    double ImagesPerSecond,
    double DataWaitShare,
    TimeSpan Duration)
{
    /// <summary>The metric names and values sent to the tracker each epoch.</summary>
    public IReadOnlyDictionary<string, double> ToDictionary() => new Dictionary<string, double>
    {
        ["train_loss"] = TrainLoss,
        ["train_acc"] = TrainAcc,
        ["val_loss"] = ValLoss,
        ["val_acc"] = ValAcc,
        ["learning_rate"] = LearningRate,
        ["images_per_sec"] = ImagesPerSecond,
        ["data_wait_share"] = DataWaitShare,
    };
}

/// <summary>What the training loop reports while it runs (Spectre.Console bars on a terminal, log lines otherwise).</summary>
public interface ITrainingProgress
{
    void EpochStarted(int epoch, int epochs, int steps);

    void StepCompleted(int epoch, int step, int steps, double loss, double accuracy, double imagesPerSecond);

    void EpochCompleted(EpochMetrics metrics, bool improved, bool learningRateReduced);

    void Message(string text);
}

/// <summary>Reports nothing (tests, benchmarks).</summary>
public sealed class SilentProgress : ITrainingProgress
{
    public static SilentProgress Instance { get; } = new();

    public void EpochStarted(int epoch, int epochs, int steps) { }

    public void StepCompleted(int epoch, int step, int steps, double loss, double accuracy, double imagesPerSecond) { }

    public void EpochCompleted(EpochMetrics metrics, bool improved, bool learningRateReduced) { }

    public void Message(string text) { }
}

using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace DryWet.TrainingWorker.Training;

/// <summary>
/// The trainer's OpenTelemetry: one trace per training run ("train", with a child span per epoch; the tracker's and
/// object store's HTTP calls nest under it) and per-epoch instruments that chart in the Aspire dashboard while the run
/// goes on. Exported by the service defaults (sources and meters named "DryWet.*").
/// </summary>
public static class TrainingTelemetry
{
    public const string Name = "DryWet.Training";

    public static readonly ActivitySource Source = new(Name);

    internal static readonly Meter Meter = new(Name);

    /// <summary>Loss of the last finished epoch, by split (train, val).</summary>
    public static readonly Gauge<double> Loss = Meter.CreateGauge<double>("drywet_training_loss", description: "Loss of the last finished epoch, by split.");

    /// <summary>Accuracy of the last finished epoch, by split (train, val).</summary>
    public static readonly Gauge<double> Accuracy = Meter.CreateGauge<double>("drywet_training_accuracy", description: "Accuracy of the last finished epoch, by split.");

    public static readonly Gauge<double> ImagesPerSecond = Meter.CreateGauge<double>("drywet_training_images_per_second", "{image}/s", "Training throughput of the last epoch.");

    public static readonly Gauge<double> DataWaitShare = Meter.CreateGauge<double>("drywet_training_data_wait_share", description: "Share of step time spent waiting for data in the last epoch.");

    public static readonly Counter<long> Epochs = Meter.CreateCounter<long>("drywet_training_epochs_total", "{epoch}", "Finished training epochs.");
}

/// <summary>
/// Wraps the user-facing progress with telemetry: a span per epoch (child of the run's "train" span) carrying the
/// epoch's numbers, and the epoch instruments of <see cref="TrainingTelemetry"/>.
/// </summary>
public sealed class TelemetryProgress(ITrainingProgress inner) : ITrainingProgress
{
    private Activity? _epoch;

    public void EpochStarted(int epoch, int epochs, int steps)
    {
        _epoch = TrainingTelemetry.Source.StartActivity($"epoch {epoch}");
        _epoch?.SetTag("drywet.epoch", epoch);
        _epoch?.SetTag("drywet.epochs", epochs);
        _epoch?.SetTag("drywet.steps", steps);
        inner.EpochStarted(epoch, epochs, steps);
    }

    public void StepCompleted(int epoch, int step, int steps, double loss, double accuracy, double imagesPerSecond) =>
        inner.StepCompleted(epoch, step, steps, loss, accuracy, imagesPerSecond);

    public void EpochCompleted(EpochMetrics metrics, bool improved, bool learningRateReduced)
    {
        TrainingTelemetry.Loss.Record(metrics.TrainLoss, new KeyValuePair<string, object?>("split", "train"));
        TrainingTelemetry.Loss.Record(metrics.ValLoss, new KeyValuePair<string, object?>("split", "val"));
        TrainingTelemetry.Accuracy.Record(metrics.TrainAcc, new KeyValuePair<string, object?>("split", "train"));
        TrainingTelemetry.Accuracy.Record(metrics.ValAcc, new KeyValuePair<string, object?>("split", "val"));
        TrainingTelemetry.ImagesPerSecond.Record(metrics.ImagesPerSecond);
        TrainingTelemetry.DataWaitShare.Record(metrics.DataWaitShare);
        TrainingTelemetry.Epochs.Add(1);
        if (_epoch is not null)
        {
            foreach (var (key, value) in metrics.ToDictionary())
            {
                _epoch.SetTag($"drywet.{key}", value);
            }

            _epoch.SetTag("drywet.improved", improved);
            _epoch.Dispose();
            _epoch = null;
        }

        inner.EpochCompleted(metrics, improved, learningRateReduced);
    }

    public void Message(string text) => inner.Message(text);
}

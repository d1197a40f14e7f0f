using System.Diagnostics;
using System.Diagnostics.Metrics;
using DryWet.TrainingWorker.Training;

namespace DryWet.Tests.Training;

public class TrainingTelemetryTests
{
    [Fact]
    public void Each_epoch_is_a_span_under_the_run_and_its_numbers_are_recorded_as_instruments()
    {
        var spans = new List<Activity>();
        using var listener = new ActivityListener
        {
            ShouldListenTo = source => source.Name == TrainingTelemetry.Name,
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = span => { lock (spans) { spans.Add(span); } },
        };
        ActivitySource.AddActivityListener(listener);
        var measurements = new List<(string Name, double Value, string? Split)>();
        using var meters = new MeterListener
        {
            InstrumentPublished = (instrument, l) =>
            {
                if (instrument.Meter.Name == TrainingTelemetry.Name)
                {
                    l.EnableMeasurementEvents(instrument);
                }
            },
        };
        meters.SetMeasurementEventCallback<double>((instrument, value, tags, _) =>
        {
            // Other tests may train in this process at the same time: the assertions below only look for ours.
            string? split = null;
            foreach (var tag in tags)
            {
                split = tag.Key == "split" ? tag.Value as string : split;
            }

            lock (measurements)
            {
                measurements.Add((instrument.Name, value, split));
            }
        });
        meters.Start();
        var inner = new RecordingProgress();

        Activity? root;
        using (root = TrainingTelemetry.Source.StartActivity("train"))
        {
            var progress = new TelemetryProgress(inner);
            for (var epoch = 1; epoch <= 2; epoch++)
            {
                progress.EpochStarted(epoch, 2, steps: 3);
                progress.StepCompleted(epoch, 1, 3, 0.5, 0.75, 10);
                progress.EpochCompleted(new EpochMetrics(epoch, 0.6 / epoch, 0.7, 0.5 / epoch, 0.8 + epoch / 10.0, 1e-3, 12.5, 0.02, TimeSpan.FromSeconds(1)), true, false);
            }
        }

        root.ShouldNotBeNull();
        List<Activity> epochs;
        lock (spans)
        {
            epochs = spans.Where(s => s.ParentSpanId == root.SpanId).ToList();
        }

        epochs.Select(s => s.DisplayName).ShouldBe(["epoch 1", "epoch 2"]);
        epochs[1].GetTagItem("drywet.val_acc").ShouldBe(1.0);
        measurements.ShouldContain(("drywet_training_accuracy", 1.0, "val"));
        measurements.ShouldContain(("drywet_training_loss", 0.3, "train"));
        measurements.ShouldContain(m => m.Name == "drywet_training_images_per_second" && m.Value == 12.5);
        inner.Epochs.ShouldBe([1, 2], "the user-facing progress still sees every epoch");
    }

    private sealed class RecordingProgress : ITrainingProgress
    {
        public List<int> Epochs { get; } = [];

        public void EpochStarted(int epoch, int epochs, int steps) { }

        public void StepCompleted(int epoch, int step, int steps, double loss, double accuracy, double imagesPerSecond) { }

        public void EpochCompleted(EpochMetrics metrics, bool improved, bool learningRateReduced) => Epochs.Add(metrics.Epoch);

        public void Message(string text) { }
    }
}

using System.Diagnostics;
using DryWet.Core.Configuration;
using DryWet.Core.Imaging;
using DryWet.Core.Packaging;
using DryWet.Core.Tracking;
using DryWet.TrainingWorker.Data;
using DryWet.TrainingWorker.Training;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;

namespace DryWet.Tests.Training;

/// <summary>The CI-sized run: efficientnet_tiny on 64 px sample data, end to end to a model package.</summary>
// torch's global RNG drives dropout and stochastic depth: no other TorchSharp test may run alongside.
[Collection("TorchSharp")]
public sealed class TrainingPipelineTests
{
    internal static DryWetConfig CiConfig(int epochs = 10)
    {
        var config = new DryWetConfig();
        config.Model.Architecture = "efficientnet_tiny";
        config.Model.Dropout = 0.2;
        config.Training.ImgSize = 64;
        // Batch 8 (30 steps per epoch) at 3e-3 reached >= 0.95 for data seeds 5, 7, 11 and 42; batch 16 was seed-sensitive.
        config.Training.BatchSize = 8;
        config.Training.Epochs = epochs;
        config.Training.LearningRate = 3e-3;
        // From scratch, val_acc sits at 0.5 for the first epochs while BatchNorm statistics settle: do not stop there.
        config.EarlyStopping.Patience = 5;
        config.Scheduler.Patience = 2;
        return config;
    }

    [Fact]
    public async Task Training_on_sample_data_reaches_val_acc_0_9_and_writes_a_package_whose_onnx_model_classifies_fresh_images()
    {
        DryWet.Tests.Model.TorchTestSupport.EnsureTorch();
        using var temp = new TempFolder();
        var zip = Path.Combine(temp.Path, "data.zip");
        SampleDataset.WriteZip(zip, countPerClass: 150, size: 64, seed: 5);
        var tracker = new RecordingTracker();
        var output = Path.Combine(temp.Path, "package");
        var progress = new CollectingProgress();

        var watch = Stopwatch.StartNew();
        var result = await new TrainingRun(tracker, null, null, null, new EfficientNetBackend(progress), progress)
            .ExecuteAsync(new TrainingRequest(CiConfig(), zip, output), TestContext.Current.CancellationToken);
        var elapsed = watch.Elapsed;

        foreach (var m in result.History)
        {
            TestContext.Current.SendDiagnosticMessage($"epoch {m.Epoch}: train_loss {m.TrainLoss:F3} train_acc {m.TrainAcc:F3} val_acc {m.ValAcc:F3} {m.ImagesPerSecond:F0} img/s wait {m.DataWaitShare:P1}");
        }

        TestContext.Current.SendDiagnosticMessage($"CI run: best_val_acc {result.BestValAcc:F3} in {elapsed.TotalSeconds:F1} s");
        result.BestValAcc.ShouldBeGreaterThanOrEqualTo(0.9);

        // The package loads and its ONNX model classifies freshly drawn images (other seeds) through serving's preprocessing.
        var package = ModelPackage.Load(output);
        package.Labels.ShouldBe(["dry", "wet"]);
        package.Config.Training.ImgSize.ShouldBe(64);
        foreach (var file in new[] { "classification_report.txt", "confusion_matrix.txt", "confusion_matrix.svg", "metrics.json", "config.yaml", "labels.json" })
        {
            File.Exists(Path.Combine(output, file)).ShouldBeTrue(file);
        }

        // The picture is well-formed SVG with one cell per (true, predicted) pair and the counts of the text matrix.
        var svg = System.Xml.Linq.XDocument.Load(Path.Combine(output, "confusion_matrix.svg"));
        svg.Descendants().Count(e => e.Name.LocalName == "rect").ShouldBe(4);
        var counts = svg.Descendants().Where(e => e.Name.LocalName == "text" && e.Attribute("font-weight") is not null).Select(e => int.Parse(e.Value, System.Globalization.CultureInfo.InvariantCulture)).ToList();
        counts.Sum().ShouldBe(result.ValidationSamples);

        var preprocessor = new ImagePreprocessor(PreprocessorOptions.FromConfig(package.Config));
        using var session = new InferenceSession(package.OnnxPath);
        var correct = 0;
        const int perClass = 30;
        for (var c = 0; c < 2; c++)
        {
            for (var i = 0; i < perClass; i++)
            {
                var jpeg = SyntheticRoadGenerator.DrawJpeg(wet: c == 1, 64, SampleDataset.ImageSeed(999, c, i));
                var input = new DenseTensor<float>(preprocessor.Preprocess(jpeg), [1, 3, 64, 64]);
                using var outputs = session.Run([NamedOnnxValue.CreateFromTensor("input", input)]);
                var logits = outputs[0].AsEnumerable<float>().ToArray();
                correct += (logits[1] > logits[0] ? 1 : 0) == c ? 1 : 0;
            }
        }

        var freshAccuracy = correct / (2.0 * perClass);
        TestContext.Current.SendDiagnosticMessage($"ONNX accuracy on fresh images: {freshAccuracy:F3}");
        freshAccuracy.ShouldBeGreaterThanOrEqualTo(0.9);

        // What the tracker saw: the original's params, tag, per-epoch metrics with step = epoch, reports and the model.
        var run = tracker.Runs.ShouldHaveSingleItem();
        run.Outcome.ShouldBe(RunOutcome.Finished);
        run.Tags["classes"].ShouldBe("dry, wet");
        run.Params["optimizer"].ShouldBe("AdamW");
        run.Params["loss_function"].ShouldBe("FocalLoss");
        run.Params["scheduler"].ShouldBe("ReduceLROnPlateau");
        run.Params["train_samples"].ShouldBe(result.TrainSamples.ToString(System.Globalization.CultureInfo.InvariantCulture));
        foreach (var key in new[] { "img_size", "batch_size", "epochs", "learning_rate", "weight_decay", "val_samples" })
        {
            run.Params.ShouldContainKey(key);
        }

        run.Metrics.Where(m => m.Key == "val_acc").Select(m => m.Step).ShouldBe(result.History.Select(h => (long)h.Epoch));
        run.Metrics.Single(m => m.Key == "best_val_acc").Value.ShouldBe(result.BestValAcc);
        run.Artifacts.ShouldContain("classification_report.txt");
        run.Artifacts.ShouldContain("confusion_matrix.txt");
        run.Artifacts.ShouldContain("confusion_matrix.svg");
        run.Artifacts.ShouldContain("config.yaml");
        run.Artifacts.ShouldContain(RunCharts.LearningCurvesFile);
        run.Artifacts.ShouldContain(RunCharts.ConfusionMatrixFile);
        run.Models.ShouldHaveSingleItem().ArtifactPath.ShouldBe("model");
        run.Models[0].Files.ShouldContain("input_example.json");
        // The data as an MLflow dataset input: digest = the dataset version, counts per class and per origin in the profile.
        var dataInput = run.Datasets.ShouldHaveSingleItem();
        dataInput.Name.ShouldBe("data");
        dataInput.Digest.ShouldBe(run.Tags["dataset.version"]);
        dataInput.Digest.Length.ShouldBe(32);
        run.Tags["dataset.reviewed_images"].ShouldBe("0");
        run.Tags["dataset.sha256"].ShouldBe(DatasetFingerprint.Compute(zip).Sha256, "one archive: its own SHA-256, as before dataset versions");
        run.Artifacts.ShouldContain($"dataset/{run.Tags["dataset.version"]}.json");
        dataInput.Context.ShouldBe("training");
        dataInput.SourceType.ShouldBe("local");
        dataInput.Source.ShouldContain("data.zip");
        dataInput.Profile.ShouldNotBeNull();
        dataInput.Profile.ShouldContain("\"dry\":150");
        dataInput.Profile.ShouldContain("\"origins\":{\"archive\":300,\"review\":0,\"folder\":0}");
        dataInput.Schema.ShouldNotBeNull();
        dataInput.Schema.ShouldContain("[-1, 3, 64, 64]");
        result.RunId.ShouldBe(run.RunId);
        package.RunId.ShouldBe(run.RunId);
    }
}

/// <summary>Keeps the pipeline's messages for assertions.</summary>
internal sealed class CollectingProgress : ITrainingProgress
{
    public List<string> Messages { get; } = [];
    public List<EpochMetrics> Epochs { get; } = [];

    public void EpochStarted(int epoch, int epochs, int steps) { }

    public void StepCompleted(int epoch, int step, int steps, double loss, double accuracy, double imagesPerSecond) { }

    public void EpochCompleted(EpochMetrics metrics, bool improved, bool learningRateReduced) => Epochs.Add(metrics);

    public void Message(string text) => Messages.Add(text);
}

using System.Globalization;
using DryWet.Core;
using DryWet.Core.Configuration;
using DryWet.Core.Packaging;
using DryWet.Core.Tracking;
using DryWet.TrainingWorker.Data;
using TorchSharp;
using static TorchSharp.torch;

namespace DryWet.TrainingWorker.Training;

/// <summary>Input of one <c>train</c> run.</summary>
/// <param name="WorkDirectory">Scratch folder (zip extraction, ONNX export, reports); deleted afterwards. Null = a temp folder.</param>
public sealed record TrainingRequest(DryWetConfig Config, string DataPath, string OutputDirectory,
    string? WorkDirectory = null, ZipLimits? ZipLimits = null, string? RunName = null);

/// <summary>
/// data → stratified split → background decode/augment → train (<see cref="Trainer"/>) → best weights → ONNX →
/// model package (atomic) → tracker (params, per-epoch metrics, reports, config, model). Registration is the caller's
/// next step, from the returned <see cref="TrainingResult"/>. The tracker is a port: embedded files or MLflow.
/// </summary>
public sealed class TrainingPipeline(IExperimentTracker tracker, IClassifierBackend backend, ITrainingProgress progress)
{
    public async Task<TrainingResult> RunAsync(TrainingRequest request, CancellationToken cancellationToken = default)
    {
        var config = request.Config;
        var work = request.WorkDirectory ?? Path.Combine(Path.GetTempPath(), "drywet-train-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(work);
        try
        {
            var dataset = ImageFolderDataset.Open(request.DataPath, work, request.ZipLimits);
            ReportSkipped(dataset);
            var (train, validation) = StratifiedSplit.Split(dataset.Images, dataset.Classes, config.Data.TestSize, config.Data.RandomState);
            progress.Message($"Data: {dataset.Images.Count} images in {dataset.Classes.Count} classes ({string.Join(", ", dataset.Classes.Select((c, i) => $"{c}={dataset.CountOf(i)}"))}); train {train.Count}, validation {validation.Count}.");
            if (config.Model.NumClasses != dataset.Classes.Count)
            {
                throw new DryWetException($"model.num_classes = {config.Model.NumClasses}, but the data has {dataset.Classes.Count} class folders ({string.Join(", ", dataset.Classes)}). Set model.num_classes to {dataset.Classes.Count}.");
            }

            await using var run = await tracker.StartRunAsync(config.Mlflow.ExperimentName, request.RunName,
                new Dictionary<string, string> { ["classes"] = string.Join(", ", dataset.Classes) }, cancellationToken);
            await run.LogParamsAsync(Params(config, train.Count, validation.Count), cancellationToken);

            var device = TorchDevice.Select(progress);
            random.manual_seed(config.RandomSeed);
            using var model = backend.Create(config);
            var loader = new SampleLoader(config);
            var trainer = new Trainer(config, progress);
            // The loop is synchronous (TorchSharp); run it on the pool so the per-epoch tracker calls never block a
            // caller's synchronization context.
            var outcome = await Task.Run(() => trainer.Fit(model, loader, train, validation, dataset.Classes, device,
                m => run.LogMetricsAsync(m.ToDictionary().Select(kv => MetricPoint.Now(kv.Key, kv.Value, m.Epoch)), cancellationToken).GetAwaiter().GetResult(),
                cancellationToken), cancellationToken);

            await run.LogMetricsAsync([MetricPoint.Now("best_val_acc", outcome.BestValAcc, outcome.BestEpoch)], cancellationToken);
            var reports = Path.Combine(work, "reports");
            Directory.CreateDirectory(reports);
            var reportText = outcome.Report.ToText();
            var matrixText = outcome.Report.ConfusionMatrixText();
            await File.WriteAllTextAsync(Path.Combine(reports, "classification_report.txt"), reportText, cancellationToken);
            await File.WriteAllTextAsync(Path.Combine(reports, "confusion_matrix.txt"), matrixText, cancellationToken);
            await File.WriteAllTextAsync(Path.Combine(reports, "config.yaml"), config.ToYaml(), cancellationToken);
            await run.LogArtifactsAsync(reports, null, cancellationToken);

            model.to(CPU);
            var onnx = Path.Combine(work, "model.onnx");
            backend.ExportOnnx(model, config, onnx);
            var package = ModelPackage.Write(request.OutputDirectory, new ModelPackageContents(
                onnx, config, dataset.Classes, FinalMetrics(outcome),
                new Dictionary<string, string>
                {
                    ["classification_report.txt"] = reportText,
                    ["confusion_matrix.txt"] = matrixText,
                },
                run.RunId));
            await run.LogModelAsync(package.Directory, "model", cancellationToken);
            await run.EndAsync(RunOutcome.Finished, cancellationToken);
            progress.Message($"best_val_acc {outcome.BestValAcc:F4} (epoch {outcome.BestEpoch}); package written to {package.Directory}.");
            return new TrainingResult(package.Directory, outcome.BestValAcc, run.RunId, run.ArtifactUri, "model",
                outcome.History, train.Count, validation.Count, dataset.Skipped, outcome.Duration);
        }
        finally
        {
            if (request.WorkDirectory is null)
            {
                TryDelete(work);
            }
        }
    }

    /// <summary>The original's MLflow params, same names.</summary>
    public static IReadOnlyDictionary<string, string> Params(DryWetConfig config, int trainSamples, int validationSamples)
    {
        var t = config.Training;
        string F(double v) => v.ToString(CultureInfo.InvariantCulture);
        return new Dictionary<string, string>
        {
            ["img_size"] = t.ImgSize.ToString(CultureInfo.InvariantCulture),
            ["batch_size"] = t.BatchSize.ToString(CultureInfo.InvariantCulture),
            ["epochs"] = t.Epochs.ToString(CultureInfo.InvariantCulture),
            ["learning_rate"] = F(t.LearningRate),
            ["weight_decay"] = F(t.WeightDecay),
            ["optimizer"] = "AdamW",
            ["loss_function"] = "FocalLoss",
            ["scheduler"] = "ReduceLROnPlateau",
            ["train_samples"] = trainSamples.ToString(CultureInfo.InvariantCulture),
            ["val_samples"] = validationSamples.ToString(CultureInfo.InvariantCulture),
            ["architecture"] = config.Model.Architecture,
            ["random_seed"] = config.RandomSeed.ToString(CultureInfo.InvariantCulture),
        };
    }

    private static Dictionary<string, double> FinalMetrics(TrainingOutcome outcome)
    {
        var last = outcome.History[^1];
        return new Dictionary<string, double>
        {
            ["best_val_acc"] = outcome.BestValAcc,
            ["best_epoch"] = outcome.BestEpoch,
            ["epochs_run"] = outcome.History.Count,
            ["final_train_loss"] = last.TrainLoss,
            ["final_train_acc"] = last.TrainAcc,
            ["final_val_loss"] = last.ValLoss,
            ["final_val_acc"] = last.ValAcc,
            ["data_wait_share"] = outcome.DataWaitShare,
            ["training_seconds"] = outcome.Duration.TotalSeconds,
        };
    }

    private void ReportSkipped(ImageFolderDataset dataset)
    {
        if (dataset.Skipped.Count == 0)
        {
            return;
        }

        var shown = dataset.Skipped.Take(10).Select(s => $"{Path.GetRelativePath(dataset.Root, s.Path)} ({s.Reason})");
        progress.Message($"Skipped {dataset.Skipped.Count} file(s) that are not decodable images: {string.Join("; ", shown)}{(dataset.Skipped.Count > 10 ? "; …" : "")}");
    }

    private static void TryDelete(string folder)
    {
        try
        {
            Directory.Delete(folder, recursive: true);
        }
        catch (IOException)
        {
            // Scratch space only; a leftover temp folder is harmless.
        }
    }
}

/// <summary>CUDA when TorchSharp's CUDA backend is present and a GPU is visible, else CPU (said once).</summary>
public static class TorchDevice
{
    public static Device Select(ITrainingProgress progress)
    {
        if (cuda.is_available())
        {
            progress.Message("Training on CUDA.");
            return CUDA;
        }

        progress.Message("Training on CPU (no CUDA device; build with -p:TorchBackend=cuda on a CUDA machine to use a GPU).");
        return CPU;
    }
}

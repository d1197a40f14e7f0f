using System.Globalization;
using DryWet.Core;
using DryWet.Core.Configuration;
using DryWet.Core.Imaging;
using DryWet.Core.Packaging;
using DryWet.Core.Registry;
using DryWet.Core.Storage;
using DryWet.Core.Tracking;
using DryWet.TrainingWorker.Data;
using DryWet.TrainingWorker.Export;
using DryWet.TrainingWorker.Model;
using DryWet.TrainingWorker.Promotion;
using TorchSharp;
using static TorchSharp.torch;

namespace DryWet.TrainingWorker.Training;

/// <summary>
/// The one owner of a training run's lifecycle: output folder checked → data (a dataset snapshot: listed, hashed,
/// its manifest stored, laid out as class folders; see <see cref="DatasetPreparation"/>) → stratified split → starting weights → tracked run started → train (<see cref="Trainer"/>) → reports →
/// ONNX (fp32, and its INT8 twin calibrated on training images) → model package (in the scratch folder) → model logged → champion/challenger gate → package published to the
/// output folder (atomic) → registered, promoted only when the gate says so → the run ended exactly once: FINISHED only
/// when every step succeeded, FAILED with the reason as tag <c>drywet.failure</c>, or KILLED when cancelled. One scratch
/// folder per run, always removed.
/// <para>
/// Cancellation (Ctrl+C, SIGTERM) is honoured up to the gate's decision (training at the next batch): the run ends
/// KILLED, the output folder is untouched and nothing is registered. After the decision comes the commit — package
/// published, version registered, aliased as decided, run FINISHED — and it is atomic by completion: a stop that
/// arrives during it lets it finish (DryWet's registry port cannot delete a version, and an alias move that serving
/// may already have followed cannot be taken back cleanly, so a rollback could itself be left half done), says so, and
/// the command exits 0: the run did complete. The trainer's process holds further signals meanwhile
/// (<see cref="Platform.TerminationSignals.HoldAsync"/>). See docs/training.md, "Stopping after the gate's decision".
/// </para>
/// </summary>
/// <param name="registry">Null: the run is tracked but nothing is registered.</param>
/// <param name="objects">Needed only for <c>s3://</c> data (a prefix or one archive).</param>
/// <param name="weights">Needed only when the config asks for ImageNet weights.</param>
public sealed class TrainingRun(IExperimentTracker tracker, IModelRegistry? registry, IObjectStore? objects,
    PretrainedWeightsSource? weights, IClassifierBackend backend, ITrainingProgress progress)
{
    /// <summary>Run tag holding why a run FAILED (or "cancelled").</summary>
    public const string FailureTag = "drywet.failure";

    public async Task<TrainingResult> ExecuteAsync(TrainingRequest request, CancellationToken cancellationToken = default)
    {
        // Now, not after the training: an output folder that is not ours to replace.
        ModelPackage.EnsureReplaceable(request.OutputDirectory, request.ReplaceAnyOutput);
        var work = request.WorkDirectory ?? Path.Combine(Path.GetTempPath(), "drywet-train-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(work);
        try
        {
            var prepared = await DatasetPreparation.PrepareAsync(request.Data, request.DatasetVersion, objects, work, request.ZipLimits, progress.Message, cancellationToken);
            var dataset = ImageFolderDataset.Open(prepared.Materialized.Directory, work, request.ZipLimits, $"{prepared.Manifest.Source} (dataset version {prepared.Manifest.Version})");
            ReportSkipped(dataset);
            var config = request.Config;
            if (config.Model.NumClasses != dataset.Classes.Count)
            {
                throw new DryWetException($"model.num_classes = {config.Model.NumClasses}, but the data has {dataset.Classes.Count} class folders ({string.Join(", ", dataset.Classes)}). Set model.num_classes to {dataset.Classes.Count}.");
            }

            var (train, validation) = StratifiedSplit.Split(dataset.Images, dataset.Classes, config.Data.TestSize, config.Data.RandomState);
            progress.Message($"Data: {dataset.Images.Count} images in {dataset.Classes.Count} classes ({string.Join(", ", dataset.Classes.Select((c, i) => $"{c}={dataset.CountOf(i)}"))}); train {train.Count}, validation {validation.Count}.");
            // Before a run exists: an offline mirror or a bad weights file must not leave a FAILED run behind.
            var weightsPath = weights is not null
                ? await weights.ResolveAsync(config.Model, cancellationToken)
                : RequireLocalWeights(config.Model);

            var runTags = RunTags(request.DataSource ?? prepared.Manifest.Source, prepared, dataset);
            await using var run = await tracker.StartRunAsync(config.Mlflow.ExperimentName, request.RunName, runTags, cancellationToken);
            progress.Message($"Tracking: {tracker.Description}, run {run.RunId}.");
            try
            {
                await run.LogInputsAsync([TrainingDatasetInput.Describe(runTags[DatasetTags.Source], prepared, dataset, train.Count, validation.Count, config.Training.ImgSize)], cancellationToken);
                await LogManifestAsync(run, prepared.Manifest, work, cancellationToken);

                var result = await TrainAndPackageAsync(run, request, dataset, train, validation, weightsPath, work, cancellationToken);
                var register = request.Register && registry is not null;
                var decision = register
                    ? await DecideAsync(registry!, run, request, result, validation, dataset.Classes, work, cancellationToken)
                    : null;
                return await Platform.TerminationSignals.HoldAsync(CommitStep, () => CommitAsync(run, request, result, decision, runTags, cancellationToken), cancellationToken);
            }
            catch (OperationCanceledException)
            {
                await TryEndAsync(run, RunOutcome.Killed, "cancelled");
                throw;
            }
            catch (Exception ex)
            {
                await TryEndAsync(run, RunOutcome.Failed, ex.Message);
                throw;
            }
        }
        finally
        {
            if (request.WorkDirectory is null)
            {
                TryDelete(work);
            }
        }
    }

    /// <summary>What the commit is called in the stop-signal messages.</summary>
    internal const string CommitStep = "publishing, registering and promoting the model";

    /// <summary>
    /// Past the gate's decision: publish, register, alias, end the run FINISHED — all of it or (cancelled before it
    /// started: <see cref="Platform.TerminationSignals.HoldAsync"/> throws) none of it. A stop that arrives once it has
    /// started is only reported here (see the remarks above); <paramref name="stop"/> is read, never passed on.
    /// </summary>
    private async Task<TrainingResult> CommitAsync(ITrackedRun run, TrainingRequest request, TrainingResult result, PromotionDecision? decision,
        IReadOnlyDictionary<string, string> runTags, CancellationToken stop)
    {
        var published = ModelPackage.Publish(result.PackageDirectory, request.OutputDirectory, request.ReplaceAnyOutput);
        result = result with { PackageDirectory = published.Directory };
        progress.Message($"best_val_acc {result.BestValAcc:F4}; package written to {published.Directory}.");
        if (decision is not null)
        {
            result = await RegisterAsync(registry!, request, result, decision, runTags, CancellationToken.None);
        }

        await run.EndAsync(RunOutcome.Finished, CancellationToken.None);
        if (stop.IsCancellationRequested)
        {
            progress.Message($"The stop came after the promotion gate's decision, while {CommitStep}: that was finished first, so run {run.RunId} is FINISHED{(result.RegisteredVersion is { } v ? $" and {v.Name} v{v.Version} is registered as the gate decided" : "")}; nothing is left half done.");
        }

        return result;
    }

    private async Task<TrainingResult> TrainAndPackageAsync(ITrackedRun run, TrainingRequest request, ImageFolderDataset dataset,
        IReadOnlyList<LabeledImage> train, IReadOnlyList<LabeledImage> validation, string? weightsPath, string work, CancellationToken cancellationToken)
    {
        var config = request.Config;
        await run.LogParamsAsync(Params(config, train.Count, validation.Count), cancellationToken);
        var device = TorchDevice.Select(progress);
        random.manual_seed(config.RandomSeed);
        using var model = backend.Create(config, weightsPath);
        var loader = new SampleLoader(config);
        var trainer = new Trainer(config, progress, fineTuning: weightsPath is not null);
        // The loop is synchronous (TorchSharp); run it on the pool so the per-epoch tracker calls never block a
        // caller's synchronization context.
        var outcome = await Task.Run(() => trainer.Fit(model, loader, train, validation, dataset.Classes, device,
            m => run.LogMetricsAsync(m.ToDictionary().Select(kv => MetricPoint.Now(kv.Key, kv.Value, m.Epoch)), cancellationToken).GetAwaiter().GetResult(),
            cancellationToken), cancellationToken);

        await run.LogMetricsAsync([MetricPoint.Now("best_val_acc", outcome.BestValAcc, outcome.BestEpoch)], cancellationToken);
        var baseline = MajorityBaseline.Of(validation, dataset.Classes);
        if (!baseline.IsBeatenBy(outcome.BestValAcc))
        {
            progress.Message($"WARNING: best_val_acc {outcome.BestValAcc:F4} is no better than always answering '{baseline.Class}' ({baseline.Share:F4} of the validation images): this model has not learned. Check the data, more epochs or model.pretrained: imagenet.");
            await run.SetTagsAsync(new Dictionary<string, string> { [MajorityBaseline.WarningTag] = baseline.Warning(outcome.BestValAcc) }, cancellationToken);
        }

        var reports = Path.Combine(work, "reports");
        Directory.CreateDirectory(reports);
        var reportText = outcome.Report.ToText();
        var matrixText = outcome.Report.ConfusionMatrixText();
        var matrixPicture = ConfusionMatrixPicture.ToSvg(outcome.Report);
        await File.WriteAllTextAsync(Path.Combine(reports, "classification_report.txt"), reportText, cancellationToken);
        await File.WriteAllTextAsync(Path.Combine(reports, "confusion_matrix.txt"), matrixText, cancellationToken);
        await File.WriteAllTextAsync(Path.Combine(reports, ConfusionMatrixPicture.FileName), matrixPicture, cancellationToken);
        await File.WriteAllTextAsync(Path.Combine(reports, "config.yaml"), config.ToYaml(), cancellationToken);
        RunCharts.WriteLearningCurves(outcome.History, Path.Combine(reports, RunCharts.LearningCurvesFile));
        RunCharts.WriteConfusionMatrix(outcome.Report, Path.Combine(reports, RunCharts.ConfusionMatrixFile));
        await run.LogArtifactsAsync(reports, null, cancellationToken);

        model.to(CPU);
        var onnx = Path.Combine(work, "model.onnx");
        backend.ExportOnnx(model, config, onnx);
        var int8 = await ExportInt8Async(onnx, config, train, work, cancellationToken);
        var package = ModelPackage.Write(Path.Combine(work, "package"), new ModelPackageContents(
            onnx, config, dataset.Classes, FinalMetrics(outcome, baseline),
            new Dictionary<string, string>
            {
                ["classification_report.txt"] = reportText,
                ["confusion_matrix.txt"] = matrixText,
                [ConfusionMatrixPicture.FileName] = matrixPicture,
            },
            run.RunId,
            Int8OnnxModelPath: int8));
        var logged = await run.LogModelAsync(package.Directory, "model", cancellationToken);
        progress.Message($"best_val_acc {outcome.BestValAcc:F4} (epoch {outcome.BestEpoch}); model logged to run {run.RunId}.");
        return new TrainingResult(package.Directory, outcome.BestValAcc, run.RunId, run.ArtifactUri, "model",
            outcome.History, train.Count, validation.Count, dataset.Skipped, outcome.Duration, baseline)
        {
            ModelId = logged.ModelId,
            ModelArtifactUri = logged.ModelArtifactUri,
        };
    }

    /// <summary>
    /// The INT8 twin of the exported graph (QDQ, calibrated on up to <see cref="QuantizedExport.CalibrationImages"/> training
    /// images preprocessed as serving does). A graph the quantizer cannot handle is reported and left out: the package
    /// then serves fp32 only.
    /// </summary>
    private async Task<string?> ExportInt8Async(string onnx, DryWetConfig config, IReadOnlyList<LabeledImage> train, string work,
        CancellationToken cancellationToken)
    {
        var size = config.Training.ImgSize;
        var preprocessor = new ImagePreprocessor(PreprocessorOptions.FromConfig(config, size, size));
        var calibration = QuantizedExport.Spread(train);
        var path = Path.Combine(work, ModelPackage.Int8OnnxFile);
        try
        {
            await QuantizedExport.WriteAsync(onnx, path, calibration.Select(i => preprocessor.Preprocess(File.ReadAllBytes(i.Path))), size, size, cancellationToken);
            progress.Message($"INT8 graph written (QDQ, calibrated on {calibration.Count} training images); the promotion gate decides whether it may serve.");
            return path;
        }
        catch (Exception ex) when (ex is NotSupportedException or DryWetException or Microsoft.ML.OnnxRuntime.OnnxRuntimeException)
        {
            progress.Message($"WARNING: no INT8 graph for this model ({ex.Message.Split('\n')[0]}); it serves fp32 only.");
            return null;
        }
    }

    /// <summary>
    /// Champion vs challenger on the same held-out images, decided before anything is registered (an evaluation that
    /// fails or is cancelled leaves no version behind) and recorded on the run.
    /// </summary>
    private async Task<PromotionDecision> DecideAsync(IModelRegistry registry, ITrackedRun run, TrainingRequest request, TrainingResult result,
        IReadOnlyList<LabeledImage> validation, IReadOnlyList<string> classes, string work, CancellationToken cancellationToken)
    {
        var config = request.Config;
        var evaluation = await EvaluationSet.BuildAsync(objects, validation, classes, work, progress, cancellationToken);
        var decision = await new PromotionGate(registry, progress).DecideAsync(config.Mlflow.RegisteredModelName, result.PackageDirectory,
            evaluation, request.Promotion, config.Evaluation, work, cancellationToken);
        await run.SetTagsAsync(decision.Tags(), cancellationToken);
        await run.LogMetricsAsync(decision.Metrics().Select(m => MetricPoint.Now(m.Key, m.Value, 0)), cancellationToken);
        return decision;
    }

    /// <summary>Registers the logged model and aliases it as the gate decided.</summary>
    private async Task<TrainingResult> RegisterAsync(IModelRegistry registry, TrainingRequest request, TrainingResult result,
        PromotionDecision decision, IReadOnlyDictionary<string, string> runTags, CancellationToken cancellationToken)
    {
        var version = await ModelRegistration.RegisterAsync(registry, request.Config, result, decision, progress, cancellationToken);
        // The data's identity on the version too: the watcher skips content that is already registered.
        await registry.SetVersionTagsAsync(version.Name, version.Version,
            runTags.Where(t => t.Key.StartsWith("dataset.", StringComparison.Ordinal)).ToDictionary(), cancellationToken);
        var final = await new PromotionGate(registry, progress).ApplyAsync(decision, version, cancellationToken);
        return result with { Promotion = decision, RegisteredVersion = final };
    }

    /// <summary>The snapshot manifest as the run's artifact <c>dataset/&lt;version&gt;.json</c> (a local folder keeps no copy of its own).</summary>
    private static async Task LogManifestAsync(ITrackedRun run, DatasetManifest manifest, string work, CancellationToken cancellationToken)
    {
        var folder = Path.Combine(work, "dataset-manifest");
        Directory.CreateDirectory(folder);
        await File.WriteAllTextAsync(Path.Combine(folder, $"{manifest.Version}.json"), manifest.ToJson(), cancellationToken);
        await run.LogArtifactsAsync(folder, "dataset", cancellationToken);
    }

    private static string? RequireLocalWeights(DryWetConfig.ModelSection model) =>
        !string.IsNullOrWhiteSpace(model.PretrainedPath) || model.ResolvePretrained() == DryWetConfig.ModelSection.PretrainedNone
            ? model.PretrainedPath
            : throw new InvalidOperationException("model.pretrained = imagenet needs a PretrainedWeightsSource.");

    /// <summary>Run tags known before training: classes, the dataset version and where it came from, its size, the code's commit.</summary>
    private static Dictionary<string, string> RunTags(string source, PreparedDataset prepared, ImageFolderDataset dataset)
    {
        var manifest = prepared.Manifest;
        var tags = new Dictionary<string, string>
        {
            ["classes"] = string.Join(", ", dataset.Classes),
            [DatasetTags.Source] = source,
            [DatasetTags.Version] = manifest.Version,
            [DatasetTags.ReviewedImages] = prepared.Materialized.CountByOrigin(dataset)[DatasetOrigin.Review].ToString(CultureInfo.InvariantCulture),
            [DatasetTags.Sha256] = manifest.ContentSha256,
            [DatasetTags.Bytes] = manifest.Bytes.ToString(CultureInfo.InvariantCulture),
        };
        if (DatasetFingerprint.GitCommit() is { } commit)
        {
            tags["mlflow.source.git.commit"] = commit;
        }

        return tags;
    }

    /// <summary>Ends the run with the failure; when the tracker itself is what failed, say so and keep the original error.</summary>
    private async Task TryEndAsync(ITrackedRun run, RunOutcome outcome, string reason)
    {
        try
        {
            await run.SetTagsAsync(new Dictionary<string, string> { [FailureTag] = reason.Length > 4000 ? reason[..4000] : reason }, CancellationToken.None);
            await run.EndAsync(outcome, CancellationToken.None);
        }
        catch (Exception ex) when (ex is DryWetException or HttpRequestException or IOException)
        {
            progress.Message($"Could not mark the run {outcome.ToString().ToUpperInvariant()} ({ex.Message}).");
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
            ["pretrained"] = string.IsNullOrWhiteSpace(config.Model.PretrainedPath) ? config.Model.ResolvePretrained() : "file",
            ["random_seed"] = config.RandomSeed.ToString(CultureInfo.InvariantCulture),
        };
    }

    private static Dictionary<string, double> FinalMetrics(TrainingOutcome outcome, MajorityBaseline baseline)
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
            ["majority_class_share"] = baseline.Share,
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

using DryWet.Core;
using DryWet.Core.Imaging;
using DryWet.Core.Packaging;
using DryWet.Serving.Admission;
using DryWet.Serving.Models;
using DryWet.Serving.Telemetry;
using Microsoft.Extensions.Options;

namespace DryWet.Serving.Inference;

/// <summary>
/// Turns a fetched package into a <see cref="LoadedModel"/>: choose the precision (<see cref="PrecisionChoice"/>, for
/// <c>auto</c> with a vouched INT8 graph by speed: <see cref="Int8SpeedCheck"/>), validate, create the session, choose
/// the input size, smoke-test, tune the batcher (<see cref="BatchTuner"/>). Every run of a model being loaded goes through the
/// <see cref="InferenceRunner"/>'s background lane, so a reload under traffic takes turns with the live batches.
/// </summary>
internal sealed class ModelLoader(IOptions<ModelOptions> modelOptions, IOptions<ServingOptions> servingOptions,
    DecodeBudget decodeBudget, InferenceRunner runner, BatchTuner tuner, Int8SpeedCheck speedCheck, ServingTelemetry telemetry, ILogger<ModelLoader> logger)
{
    /// <param name="options">
    /// The settings to run with: <c>Model:*</c> when null, the shadow's own (<see cref="ModelOptions.ForShadow"/>) otherwise.
    /// The precision is always settled under <c>Model:*</c> (<see cref="ChoosePrecisionAsync"/>).
    /// </param>
    /// <param name="priority">The lane its batches will run in: live for the served model, background for one no client waits for (a shadow).</param>
    public async Task<LoadedModel> LoadAsync(ModelCandidate candidate, ModelOptions? options = null, InferencePriority priority = InferencePriority.Live)
    {
        options ??= modelOptions.Value;
        var package = ModelPackage.Load(candidate.PackageDirectory);
        var precision = await ChoosePrecisionAsync(candidate, package);
        var (classifier, height, width) = await OpenAsync(precision.OnnxPath, package, options);
        InferenceScheduler? scheduler = null;
        try
        {
            var preprocessing = PreprocessorOptions.FromConfig(package.Config, height, width);
            var preprocessor = new ImagePreprocessor(new PreprocessorOptions
            {
                Width = preprocessing.Width,
                Height = preprocessing.Height,
                Mean = preprocessing.Mean,
                Std = preprocessing.Std,
                MaxDimension = servingOptions.Value.MaxImageDimension,
                MaxPixels = servingOptions.Value.MaxImagePixels,
            });

            var classes = package.Labels.Count;
            var tuning = await tuner.TuneAsync(classifier, options, precision.OnnxPath, height, width, classes, candidate.Descriptor.Version);
            scheduler = new InferenceScheduler(classifier, height, width, classes, tuning, runner, priority, servingOptions.Value, telemetry);
            var model = new LoadedModel(candidate.Descriptor, package.Labels, classifier, scheduler, tuning, preprocessor, decodeBudget, telemetry)
            {
                Precision = precision.Precision,
                PrecisionReason = precision.Reason,
            };
            logger.LogInformation(
                "Loaded model {Name} version {Version} from {Source}: input '{Input}' {Height}×{Width}, output '{Output}' [{Labels}] ({OutputKind}), {Provider}, {Precision} ({PrecisionReason}), batches up to {MaxBatch}; JPEGs decoded by {JpegDecoder}.",
                candidate.Descriptor.Name, candidate.Descriptor.Version, candidate.Descriptor.Source, classifier.InputName, height, width,
                classifier.OutputName, string.Join(", ", package.Labels), package.Output?.ToString().ToLowerInvariant() ?? "logits or probabilities, judged per row",
                classifier.ExecutionProvider, precision.Name, precision.Reason, tuning.Plan.MaxBatchSize, preprocessor.JpegDecoderName);
            return model;
        }
        catch
        {
            if (scheduler is not null)
            {
                await scheduler.DisposeAsync();
            }

            classifier.Dispose();
            throw;
        }
    }

    /// <summary>
    /// The graph the package would be served with as the live model: <c>Model:Precision</c> and, for <c>auto</c> with a
    /// vouched INT8 graph, the speed check under <c>Model:*</c> — for a shadow too, whose own settings (one thread, batch 1)
    /// would favour another graph than its promotion would serve. So a shadow runs the graph its promotion would serve,
    /// and an A/A shadow (the served graphs as challenger) runs the same graph as the served model: one decision, shared.
    /// </summary>
    private Task<PrecisionChoice> ChoosePrecisionAsync(ModelCandidate candidate, ModelPackage package)
    {
        var live = modelOptions.Value;
        return speedCheck.ChooseAsync(PrecisionChoice.Resolve(live.Precision, package, candidate.Int8Gate), package, live,
            path => PlanOfAsync(path, package, live));
    }

    /// <summary>
    /// The batch plan a graph of the package would be served with (<see cref="BatchTuner.PlanAsync"/>), for
    /// <see cref="Int8SpeedCheck"/>; its session is disposed before the next one is created.
    /// </summary>
    private async Task<BatchPlan> PlanOfAsync(string onnxPath, ModelPackage package, ModelOptions options)
    {
        var (classifier, height, width) = await OpenAsync(onnxPath, package, options);
        using (classifier)
        {
            return await tuner.PlanAsync(classifier, options, onnxPath, height, width, package.Labels.Count);
        }
    }

    /// <summary>Creates the graph's session, checks it against the package (classes, input size) and smoke-tests it.</summary>
    private async Task<(OnnxClassifier Classifier, int Height, int Width)> OpenAsync(string onnxPath, ModelPackage package, ModelOptions options)
    {
        var classifier = OnnxClassifier.Load(onnxPath, package.Output, options, logger);
        try
        {
            if (classifier.Classes > 0 && classifier.Classes != package.Labels.Count)
            {
                throw new DryWetException(
                    $"{onnxPath}: output '{classifier.OutputName}' has {classifier.Classes} classes but the package labels are [{string.Join(", ", package.Labels)}].");
            }

            var configSize = package.Config.Training.ImgSize;
            var height = classifier.FixedHeight ?? configSize;
            var width = classifier.FixedWidth ?? configSize;
            if ((classifier.FixedHeight is { } h && h != configSize) || (classifier.FixedWidth is { } w && w != configSize))
            {
                logger.LogWarning("Model input '{Input}' is fixed at {Height}×{Width}; config img_size {ImgSize} is ignored.",
                    classifier.InputName, height, width, configSize);
            }

            var classes = package.Labels.Count;
            await runner.RunAsync(() => SmokeTest(classifier, height, width, classes, onnxPath), InferencePriority.Background);
            return (classifier, height, width);
        }
        catch
        {
            classifier.Dispose();
            throw;
        }
    }

    /// <summary>One inference on a mid-grey image: the graph must run at this size and give finite probabilities.</summary>
    private static void SmokeTest(OnnxClassifier classifier, int height, int width, int classes, string onnxPath)
    {
        using var buffers = classifier.CreateBuffers(1, height, width, classes);
        buffers.Input.AsSpan().Fill(0.5f);
        try
        {
            classifier.Run(buffers, 1);
        }
        catch (Exception ex) when (ex is not DryWetException)
        {
            throw new DryWetException(
                $"{onnxPath}: smoke inference on a [1, 3, {height}, {width}] input failed: {ex.Message.Split('\n')[0]}");
        }

        var probabilities = buffers.ProbabilitiesOf(0);
        foreach (var p in probabilities)
        {
            if (!float.IsFinite(p))
            {
                throw new DryWetException($"{onnxPath}: smoke inference produced non-finite outputs [{string.Join(", ", probabilities.ToArray())}].");
            }
        }
    }
}

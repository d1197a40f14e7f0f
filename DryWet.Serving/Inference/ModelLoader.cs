using DryWet.Core;
using DryWet.Core.Imaging;
using DryWet.Core.Packaging;
using DryWet.Serving.Admission;
using DryWet.Serving.Models;
using DryWet.Serving.Telemetry;
using Microsoft.Extensions.Options;

namespace DryWet.Serving.Inference;

/// <summary>Turns a fetched package into a <see cref="LoadedModel"/>: validate, create the session, choose the input size, smoke-test.</summary>
internal sealed class ModelLoader(IOptions<ModelOptions> modelOptions, IOptions<ServingOptions> servingOptions,
    DecodeBudget decodeBudget, ServingTelemetry telemetry, ILogger<ModelLoader> logger)
{
    public Task<LoadedModel> LoadAsync(ModelCandidate candidate) => LoadAsync(candidate, modelOptions.Value);

    /// <summary>Loads with other settings than <c>Model:*</c> (the shadow's, <see cref="ModelOptions.ForShadow"/>).</summary>
    public async Task<LoadedModel> LoadAsync(ModelCandidate candidate, ModelOptions options)
    {
        var package = ModelPackage.Load(candidate.PackageDirectory);
        var classifier = OnnxClassifier.Load(package.OnnxPath, package.Output, options, logger);
        InferenceScheduler? scheduler = null;
        try
        {
            if (classifier.Classes > 0 && classifier.Classes != package.Labels.Count)
            {
                throw new DryWetException(
                    $"{package.OnnxPath}: output '{classifier.OutputName}' has {classifier.Classes} classes but the package labels are [{string.Join(", ", package.Labels)}].");
            }

            var configSize = package.Config.Training.ImgSize;
            var height = classifier.FixedHeight ?? configSize;
            var width = classifier.FixedWidth ?? configSize;
            if ((classifier.FixedHeight is { } h && h != configSize) || (classifier.FixedWidth is { } w && w != configSize))
            {
                logger.LogWarning("Model input '{Input}' is fixed at {Height}×{Width}; config img_size {ImgSize} is ignored.",
                    classifier.InputName, height, width, configSize);
            }

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
            SmokeTest(classifier, height, width, classes, package.OnnxPath);
            var maxBatch = classifier.EffectiveBatchSize(options.MaxBatchSize);
            scheduler = new InferenceScheduler(classifier, height, width, classes, maxBatch, options, servingOptions.Value, telemetry);
            var model = new LoadedModel(candidate.Descriptor, package.Labels, classifier, scheduler, preprocessor, maxBatch, decodeBudget, telemetry);
            logger.LogInformation(
                "Loaded model {Name} version {Version} from {Source}: input '{Input}' {Height}×{Width}, output '{Output}' [{Labels}] ({OutputKind}), {Provider}, batches up to {MaxBatch}.",
                candidate.Descriptor.Name, candidate.Descriptor.Version, candidate.Descriptor.Source, classifier.InputName, height, width,
                classifier.OutputName, string.Join(", ", package.Labels), package.Output?.ToString().ToLowerInvariant() ?? "logits or probabilities, judged per row",
                classifier.ExecutionProvider, maxBatch);
            await Task.CompletedTask;
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

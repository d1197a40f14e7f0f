using DryWet.Core;
using DryWet.Core.Imaging;
using DryWet.Core.Packaging;
using DryWet.TrainingWorker.Training;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;

namespace DryWet.TrainingWorker.Promotion;

/// <summary>
/// Evaluates a model package as serving runs it: its ONNX graph on ONNX Runtime (CPU), its labels, and serving's
/// <see cref="ImagePreprocessor"/> with the package's config (a fixed model input size wins over img_size, as in
/// serving). Classes are matched by name, so a champion with another class order is judged fairly; an image whose
/// class the package does not know counts as wrong. <see cref="ModelPrecision.Int8"/> evaluates the package's INT8
/// graph the same way, with serving's graph optimisations (ONNX Runtime fuses the QDQ pairs into QLinearConv/QGemm
/// exactly as it does when serving).
/// </summary>
public static class PackageEvaluator
{
    public static PackageAccuracy Evaluate(string packageDirectory, EvaluationSet evaluation, ITrainingProgress progress,
        CancellationToken cancellationToken, ModelPrecision precision = ModelPrecision.Fp32)
    {
        var package = ModelPackage.Load(packageDirectory);
        var onnxPath = precision == ModelPrecision.Int8
            ? package.Int8OnnxPath ?? throw new DryWetException($"{packageDirectory} has no INT8 graph (MLmodel metadata.int8).")
            : package.OnnxPath;
        using var options = new SessionOptions { GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL };
        using var session = new InferenceSession(onnxPath, options);
        var (inputName, input) = session.InputMetadata.First();
        var height = FixedDimension(input, 2) ?? package.Config.Training.ImgSize;
        var width = FixedDimension(input, 3) ?? package.Config.Training.ImgSize;
        var preprocessor = new ImagePreprocessor(PreprocessorOptions.FromConfig(package.Config, height, width));

        var correct = new Dictionary<string, (int Right, int Total)>(StringComparer.Ordinal);
        var done = 0;
        foreach (var image in evaluation.Images)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var predicted = Predict(session, inputName, preprocessor, package, image.Path, height, width);
            var (right, total) = correct.GetValueOrDefault(image.Class);
            correct[image.Class] = (right + (predicted == image.Class ? 1 : 0), total + 1);
            if (++done % 200 == 0)
            {
                progress.Message($"Evaluating {packageDirectory} ({precision.ToString().ToLowerInvariant()}): {done}/{evaluation.Images.Count} images.");
            }
        }

        var overall = (double)correct.Values.Sum(c => c.Right) / evaluation.Images.Count;
        var perClass = correct.OrderBy(c => c.Key, StringComparer.Ordinal)
            .ToDictionary(c => c.Key, c => (double)c.Value.Right / c.Value.Total, StringComparer.Ordinal);
        return new PackageAccuracy(overall, perClass, evaluation.Images.Count);
    }

    private static string Predict(InferenceSession session, string inputName, ImagePreprocessor preprocessor, ModelPackage package,
        string path, int height, int width)
    {
        float[] pixels;
        try
        {
            pixels = preprocessor.Preprocess(File.ReadAllBytes(path));
        }
        catch (DryWetException ex)
        {
            throw new DryWetException($"Evaluation image '{path}' cannot be read as served: {ex.Message}", ex);
        }

        var tensor = new DenseTensor<float>(pixels, [1, 3, height, width]);
        using var outputs = session.Run([NamedOnnxValue.CreateFromTensor(inputName, tensor)]);
        var scores = outputs[0].AsEnumerable<float>().ToArray();
        var labels = package.Labels;
        if (scores.Length != labels.Count)
        {
            throw new DryWetException($"{package.OnnxPath}: the model answers {scores.Length} scores but its package has {labels.Count} labels ({string.Join(", ", labels)}).");
        }

        // Argmax: the same class for logits and probabilities.
        var best = 0;
        for (var i = 1; i < scores.Length; i++)
        {
            best = scores[i] > scores[best] ? i : best;
        }

        return labels[best];
    }

    private static int? FixedDimension(NodeMetadata input, int axis) =>
        input.Dimensions.Length == 4 && input.Dimensions[axis] > 0 ? input.Dimensions[axis] : null;
}

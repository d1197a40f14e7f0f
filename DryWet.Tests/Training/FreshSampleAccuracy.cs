using DryWet.Core.Imaging;
using DryWet.Core.Packaging;
using DryWet.TrainingWorker.Data;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;

namespace DryWet.Tests.Training;

/// <summary>
/// How a model package does on sample images it has never seen, evaluated as served: the package's ONNX model and
/// config, serving's preprocessing, images drawn at the sample data's default size from another data seed.
/// </summary>
internal static class FreshSampleAccuracy
{
    public static double Of(string packageDirectory, int seed, int perClass)
    {
        var package = ModelPackage.Load(packageDirectory);
        var size = package.Config.Training.ImgSize;
        var preprocessor = new ImagePreprocessor(PreprocessorOptions.FromConfig(package.Config));
        using var session = new InferenceSession(package.OnnxPath);
        var input = session.InputMetadata.Keys.Single();
        var correct = 0;
        for (var c = 0; c < 2; c++)
        {
            for (var i = 0; i < perClass; i++)
            {
                var jpeg = SyntheticRoadGenerator.DrawJpeg(wet: c == 1, SampleDataset.DefaultSize, SampleDataset.ImageSeed(seed, c, i));
                var tensor = new DenseTensor<float>(preprocessor.Preprocess(jpeg), [1, 3, size, size]);
                using var outputs = session.Run([NamedOnnxValue.CreateFromTensor(input, tensor)]);
                var logits = outputs[0].AsEnumerable<float>().ToArray();
                correct += (logits[1] > logits[0] ? 1 : 0) == c ? 1 : 0;
            }
        }

        return correct / (2.0 * perClass);
    }
}

using DryWet.Tests.Storage;
using DryWet.TrainingWorker.Export;
using DryWet.TrainingWorker.Model;
using DryWet.TrainingWorker.Training;
using Microsoft.ML.OnnxRuntime;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace DryWet.Tests.Model;

/// <summary>Shared helpers for the model tests (all run under the host eng/torchsharp-compat.sh prints).</summary>
internal static class TorchTestSupport
{
    /// <summary>
    /// Loads TorchSharp and uses one intra-op thread: test classes run in parallel and libtorch's OpenMP threads spin,
    /// so 2 threads on a busy 2-core machine were measured 10-50x slower per training step than 1 (tiny, 64 px).
    /// </summary>
    public static void EnsureTorch()
    {
        TorchRuntime.EnsureLoaded();
        if (torch.get_num_threads() != 1)
        {
            torch.set_num_threads(1);
        }
    }

    public static string NewTempDirectory() => TestFolders.NewTempDirectory("drywet-torch-test");

    /// <summary>
    /// Gives every BatchNorm non-trivial affine parameters, then sets its running statistics to those of a random
    /// batch (momentum 1 for one train-mode pass), so eval-mode activations stay O(1) through the whole network and
    /// the folding W·γ/√(σ²+ε) is exercised with real values. Variances are floored at 0.01: a channel that is
    /// constant over the small calibration batch would otherwise get a 1/√ε ≈ 316× gain, an ill-conditioned network
    /// whose float32 result depends on summation order far beyond 1e-4 in any two runtimes. Leaves the model in eval mode.
    /// </summary>
    public static void RandomizeAndCalibrateBatchNorm(nn.Module<Tensor, Tensor> model, int imageSize, int batch = 4)
    {
        using var scope = NewDisposeScope();
        using (no_grad())
        {
            var norms = model.modules().OfType<SafeBatchNorm2d>().ToList();
            foreach (var bn in norms)
            {
                bn.Weight.uniform_(0.5, 1.5);
                bn.Bias.normal_(0, 0.2);
                bn.Momentum = 1.0;
            }

            model.train();
            model.call(randn(batch, 3, imageSize, imageSize));
            using TorchSharp.Scalar floor = 0.01; // explicit and alive for the calls (an implicit Scalar can be finalized mid-call)
            foreach (var bn in norms)
            {
                bn.Momentum = 0.1;
                bn.RunningVar.clamp_(min: floor);
            }
        }

        model.eval();
    }

    /// <summary>
    /// A short real training run (AdamW, cross-entropy) on a learnable synthetic task (label: is the red channel's mean
    /// above the green one's), so weights, BatchNorm affine parameters and running statistics all move away from their
    /// initial values the way they do in the trainer. Leaves the model in eval mode; returns the last loss.
    /// </summary>
    public static float TrainBriefly(nn.Module<Tensor, Tensor> model, int imageSize, int steps, int batch = 8, double lr = 1e-3)
    {
        model.train();
        using var optimizer = new AdamWOptimizer([(model.parameters().ToList(), lr)], weightDecay: 1e-4);
        var last = float.NaN;
        for (var step = 0; step < steps; step++)
        {
            using var scope = NewDisposeScope();
            var images = randn(batch, 3, imageSize, imageSize);
            var labels = images[.., 0].mean([1, 2]).gt(images[.., 1].mean([1, 2])).to_type(ScalarType.Int64);
            optimizer.ZeroGrad();
            var loss = nn.functional.cross_entropy(model.call(images), labels);
            loss.backward();
            optimizer.Step();
            last = loss.item<float>();
        }

        model.eval();
        return last;
    }

    /// <summary>TorchSharp eval-mode output as a flat array.</summary>
    public static float[] TorchLogits(nn.Module<Tensor, Tensor> model, Tensor input)
    {
        model.eval();
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        return model.call(input).contiguous().data<float>().ToArray();
    }

    /// <summary>Runs an exported graph with ONNX Runtime (CPU, 1 thread, as torch in these tests) on the same input.</summary>
    public static float[] OnnxLogits(string onnxPath, Tensor input, out long[] outputShape)
    {
        using var options = new SessionOptions { IntraOpNumThreads = 1 };
        using var session = new InferenceSession(onnxPath, options);
        var data = input.contiguous().data<float>().ToArray();
        using var value = OrtValue.CreateTensorValueFromMemory(data, input.shape);
        using var runOptions = new RunOptions();
        using var results = session.Run(runOptions, [OnnxExporter.InputName], [value], [OnnxExporter.OutputName]);
        outputShape = results[0].GetTensorTypeAndShape().Shape;
        return results[0].GetTensorDataAsSpan<float>().ToArray();
    }

    public static double MaxAbsDiff(float[] a, float[] b)
    {
        a.Length.ShouldBe(b.Length);
        return a.Zip(b, (x, y) => Math.Abs((double)x - y)).Max();
    }

    public static double StdDev(float[] values)
    {
        var mean = values.Average(v => (double)v);
        return Math.Sqrt(values.Average(v => (v - mean) * (v - mean)));
    }
}

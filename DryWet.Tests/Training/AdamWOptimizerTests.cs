using DryWet.TrainingWorker.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace DryWet.Tests.Training;

/// <summary>DryWet's AdamW: PyTorch's update rule, and safe under a GC at any moment (TorchSharp 0.107's is not).</summary>
[Collection("TorchSharp")]
public sealed class AdamWOptimizerTests
{
    [Fact]
    public void One_step_matches_the_adamw_formula()
    {
        DryWet.Tests.Model.TorchTestSupport.EnsureTorch();
        using var p = new TorchSharp.Modules.Parameter(tensor(new[] { 1.0f, -2.0f }));
        using var optimizer = new AdamWOptimizer([([p], 0.1)], weightDecay: 0.01);
        using (var loss = (p * tensor(new[] { 3.0f, 4.0f })).sum())
        {
            loss.backward(); // grad = [3, 4]
        }

        optimizer.Step();

        // Step 1: m = 0.1 g, v = 0.001 g², bias-corrected m̂ = g, v̂ = g²: p ← p(1 − lr·wd) − lr · g / (|g| + ε).
        var expected = new[] { 1.0 * (1 - 0.001) - 0.1 * 3 / (3 + 1e-8), -2.0 * (1 - 0.001) - 0.1 * 4 / (4 + 1e-8) };
        var actual = p.detach().data<float>().ToArray();
        actual[0].ShouldBe((float)expected[0], 1e-6f);
        actual[1].ShouldBe((float)expected[1], 1e-6f);
    }

    [Fact]
    public void Thousands_of_steps_under_constant_garbage_collection_equal_the_calm_run()
    {
        DryWet.Tests.Model.TorchTestSupport.EnsureTorch();
        var calm = Train(hammer: false);
        var stressed = Train(hammer: true);
        stressed.ShouldBe(calm);
    }

    /// <summary>3000 AdamW steps of a small MLP; with <paramref name="hammer"/>, a thread forces GCs and finalizers meanwhile.</summary>
    private static float[] Train(bool hammer)
    {
        random.manual_seed(1);
        using var model = nn.Sequential(nn.Linear(64, 64), nn.ReLU(), nn.Linear(64, 2));
        using var optimizer = new AdamWOptimizer([(model.parameters().ToList(), 1e-2)], weightDecay: 1e-4);
        using var stop = new CancellationTokenSource();
        var collector = hammer
            ? Task.Factory.StartNew(() =>
            {
                while (!stop.IsCancellationRequested)
                {
                    GC.Collect();
                    GC.WaitForPendingFinalizers();
                }
            }, TaskCreationOptions.LongRunning)
            : Task.CompletedTask;
        try
        {
            for (var i = 0; i < 3000; i++)
            {
                using var scope = NewDisposeScope();
                var x = randn(16, 64);
                using TorchSharp.Scalar zero = 0; // explicit and alive for the call, while the other thread forces full GCs
                var y = x[.., 0].gt(zero).to_type(ScalarType.Int64);
                optimizer.ZeroGrad();
                nn.functional.cross_entropy(model.call(x), y).backward();
                optimizer.Step();
            }
        }
        finally
        {
            stop.Cancel();
            collector.Wait();
        }

        return model.parameters().SelectMany(q => q.detach().data<float>().ToArray()).ToArray();
    }
}

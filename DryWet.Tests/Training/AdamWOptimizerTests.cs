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

    /// <summary>
    /// TorchSharp 0.107's own AdamW converts doubles to Scalars implicitly: each is unreachable once its handle is read,
    /// so a GC and the finalizer can free it while the native call still uses it (a corrupted step or a crash, seen in
    /// a trainer). A Scalar that is disposed is never finalized, so a step whose Scalars are all disposed cannot race;
    /// the runtime's own FinalizeObject events show whether any was left to the GC. A Scalar dropped on purpose first
    /// shows that the watch sees one. Tensor and parameter wrappers count too: one left to the GC races the same way
    /// while its handle is still in a native call.
    /// </summary>
    [Fact]
    public void A_step_leaves_no_Scalar_or_tensor_to_the_finalizer_so_no_GC_can_free_one_during_its_native_call()
    {
        DryWet.Tests.Model.TorchTestSupport.EnsureTorch();
        random.manual_seed(1);
        using var model = nn.Sequential(nn.Linear(8, 8), nn.ReLU(), nn.Linear(8, 2));
        using var optimizer = new AdamWOptimizer([(model.parameters().ToList(), 1e-2)], weightDecay: 1e-4);
        using (NewDisposeScope())
        {
            nn.functional.cross_entropy(model.call(randn(4, 8)), tensor(new long[] { 0, 1, 0, 1 })).backward();
        }

        using var watch = new FinalizerWatch();
        watch.Settle();
        var (scalars, tensors, parameters) = (watch.Finalized(typeof(TorchSharp.Scalar)), watch.Finalized(typeof(Tensor)), watch.Finalized(typeof(TorchSharp.Modules.Parameter)));
        DropScalar();
        watch.Settle();
        (watch.Finalized(typeof(TorchSharp.Scalar)) - scalars).ShouldBe(1, "the watch sees a Scalar left to the GC");

        for (var i = 0; i < 3; i++)
        {
            optimizer.Step();
        }

        watch.Settle();
        (watch.Finalized(typeof(TorchSharp.Scalar)) - scalars).ShouldBe(1, "no Scalar of a step is left to the GC (only the one dropped on purpose)");
        (watch.Finalized(typeof(Tensor)) - tensors).ShouldBe(0, "no tensor of a step is left to the GC");
        (watch.Finalized(typeof(TorchSharp.Modules.Parameter)) - parameters).ShouldBe(0, "no parameter wrapper of a step is left to the GC");

        // ZeroGrad makes no Scalar either. It does leave one tensor wrapper per parameter to the GC (4 here: zero_'s
        // result, made after its native call returned and never used), so tensors are not counted for it.
        optimizer.ZeroGrad();
        watch.Settle();
        (watch.Finalized(typeof(TorchSharp.Scalar)) - scalars).ShouldBe(1, "no Scalar of ZeroGrad is left to the GC");
    }

    /// <summary>What an implicit double → Scalar conversion leaves behind: a Scalar nobody disposes.</summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.NoInlining)]
    private static void DropScalar() => _ = 0.5.ToScalar();
}

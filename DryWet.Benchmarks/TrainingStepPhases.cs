using System.Diagnostics;
using System.Globalization;
using DryWet.Core.Configuration;
using DryWet.TrainingWorker.Data;
using DryWet.TrainingWorker.Model;
using DryWet.TrainingWorker.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace DryWet.Benchmarks;

/// <summary>
/// <c>training-phases [--arch efficientnet_b3] [--sizes 224,300] [--batch 8] [--steps 6] [--threads 2]
/// [--layout channels_last|nchw] [--peer "CMD"]</c>: the training step alone (no data loading) on one fixed random
/// batch, timed per phase — forward + loss, backward, gradient clipping, AdamW — in milliseconds per step, after 2
/// warm-up steps. <c>channels_last</c> is the layout the trainer feeds on the CPU (<see cref="BatchTensors"/>).
/// <c>--peer</c> runs the same split of PyTorch's step right after each size (<c>DryWet.Benchmarks/peer/step_phases.py</c>,
/// e.g. <c>"chroot /opt/trixie python3 /peers/step_phases.py"</c>) and prints DryWet ÷ PyTorch.
/// </summary>
internal static class TrainingStepPhases
{
    public static int Run(string[] args)
    {
        var options = new BenchmarkArguments(args);
        var architecture = options.String("--arch", "efficientnet_b3");
        var sizes = options.Ints("--sizes", "224,300");
        var batch = options.Int("--batch", 8);
        var steps = options.Int("--steps", 6);
        var threads = options.Int("--threads", 2);
        var layout = options.String("--layout", "channels_last");
        if (layout is not ("channels_last" or "nchw"))
        {
            Console.Error.WriteLine($"--layout must be channels_last or nchw, got '{layout}'.");
            return 2;
        }

        var peer = options.String("--peer", "");
        if (peer.Length > 0 && architecture != "efficientnet_b3")
        {
            Console.Error.WriteLine($"--peer times PyTorch's efficientnet_b3; --arch is '{architecture}'.");
            return 2;
        }
        TorchRuntime.EnsureLoaded();
        set_num_threads(threads);
        foreach (var size in sizes)
        {
            random.manual_seed(0);
            var config = new DryWetConfig();
            config.Model.Architecture = architecture;
            using var model = EfficientNet.Create(config.Model);
            model.train();
            var recipe = FineTuningRecipe.For(config, model, fineTuning: false);
            using var optimizer = recipe.CreateOptimizer(1e-3, 1e-2);
            var loss = new FocalLoss(null, 2.0);
            var images = new Batch(randn(batch, 3, size, size).data<float>().ToArray(), Enumerable.Range(0, batch).Select(i => (long)(i % 2)).ToArray(), batch);
            using var x = layout == "channels_last" ? BatchTensors.Images(images, size, CPU) : tensor(images.Data, [batch, 3, size, size]);
            using var y = BatchTensors.Labels(images, CPU);
            var totals = new double[4];
            for (var step = 0; step < steps + 2; step++)
            {
                using var scope = NewDisposeScope();
                var t0 = Stopwatch.GetTimestamp();
                optimizer.ZeroGrad();
                var value = loss.Compute(model.forward(x), y);
                var t1 = Stopwatch.GetTimestamp();
                value.backward();
                var t2 = Stopwatch.GetTimestamp();
                nn.utils.clip_grad_norm_(model.parameters(), Trainer.GradientClipNorm);
                var t3 = Stopwatch.GetTimestamp();
                optimizer.Step();
                var t4 = Stopwatch.GetTimestamp();
                if (step >= 2)
                {
                    long[] marks = [t0, t1, t2, t3, t4];
                    for (var p = 0; p < 4; p++)
                    {
                        totals[p] += Stopwatch.GetElapsedTime(marks[p], marks[p + 1]).TotalMilliseconds;
                    }
                }
            }

            var perStep = totals.Select(t => t / steps).ToArray();
            var ours = batch * 1000.0 / perStep.Sum();
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"DryWet {architecture} {size}px batch {batch} {layout}: forward {perStep[0]:F0} ms, backward {perStep[1]:F0} ms, clip {perStep[2]:F0} ms, AdamW {perStep[3]:F0} ms per step; {ours:F2} img/s"));
            if (peer.Length > 0)
            {
                var theirs = PyTorchPeer.StepPhasesImagesPerSecond(peer, size, layout, batch, steps, threads);
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  DryWet ÷ PyTorch = {ours / theirs:F2}"));
            }
        }

        return 0;
    }
}

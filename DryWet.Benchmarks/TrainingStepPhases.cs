using System.Diagnostics;
using System.Globalization;
using DryWet.Core.Configuration;
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
        string Arg(string name, string fallback)
        {
            var i = Array.IndexOf(args, name);
            return i >= 0 && i + 1 < args.Length ? args[i + 1] : fallback;
        }

        var architecture = Arg("--arch", "efficientnet_b3");
        var sizes = Arg("--sizes", "224,300").Split(',').Select(int.Parse).ToArray();
        var batch = int.Parse(Arg("--batch", "8"), CultureInfo.InvariantCulture);
        var steps = int.Parse(Arg("--steps", "6"), CultureInfo.InvariantCulture);
        var threads = int.Parse(Arg("--threads", "2"), CultureInfo.InvariantCulture);
        var layout = Arg("--layout", "channels_last");
        if (layout is not ("channels_last" or "nchw"))
        {
            Console.Error.WriteLine($"--layout must be channels_last or nchw, got '{layout}'.");
            return 2;
        }

        var peer = Arg("--peer", "");
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
            using var nchw = randn(batch, 3, size, size);
            using var x = layout == "channels_last" ? nchw.permute(0, 2, 3, 1).contiguous().permute(0, 3, 1, 2) : nchw.alias();
            using var y = tensor(Enumerable.Range(0, batch).Select(i => (long)(i % 2)).ToArray());
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

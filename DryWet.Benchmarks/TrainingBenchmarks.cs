using DryWet.TrainingWorker.Training;

namespace DryWet.Benchmarks;

/// <summary>
/// <c>training [--arch efficientnet_b3] [--sizes 224,300] [--batch 8] [--steps 4] [--source 640] [--peer "CMD"]</c>:
/// training throughput and data-wait share through the real loop. Run under the TorchSharp host:
/// <c>$(eng/torchsharp-compat.sh) DryWet.Benchmarks/bin/Release/net10.0/linux-x64/DryWet.Benchmarks.dll training</c>.
/// <c>--peer</c> runs the PyTorch peer (<c>shared/peers/seed_train_bench.py</c>, e.g.
/// <c>"chroot /opt/trixie python3 /peers/seed_train_bench.py"</c>) right after each DryWet measurement, with the same
/// size, batch, steps and threads, and prints both figures and DryWet ÷ PyTorch: one run, one machine state.
/// </summary>
internal static class TrainingBenchmarks
{
    public static int Run(string[] args)
    {
        var options = new BenchmarkArguments(args);
        var architecture = options.String("--arch", "efficientnet_b3");
        var sizes = options.Ints("--sizes", "224,300");
        var batch = options.Int("--batch", 8);
        var steps = options.Int("--steps", 4);
        var source = options.Int("--source", 640);
        var threads = options.Int("--threads", 0); // 0 = libtorch's default (one per core)
        var peer = options.String("--peer", "");
        if (threads > 0)
        {
            DryWet.TrainingWorker.Model.TorchRuntime.EnsureLoaded();
            TorchSharp.torch.set_num_threads(threads);
        }

        var work = Path.Combine(Path.GetTempPath(), "drywet-bench-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(work);
        try
        {
            Console.WriteLine($"Training benchmark: {architecture}, batch {batch}, {steps} timed steps after 1 warm-up step, JPEG sources {source}x{source} px, {Environment.ProcessorCount} cores, {TorchSharp.torch.get_num_threads()} torch threads.");
            foreach (var size in sizes)
            {
                // Warm-up (allocator, kernels), then the measured run.
                TrainingBenchmark.Measure(architecture, size, batch, 0, source, work);
                var ours = TrainingBenchmark.Measure(architecture, size, batch, steps, source, work);
                Console.WriteLine(ours);
                if (peer.Length > 0)
                {
                    var theirs = PyTorchPeer.TrainImagesPerSecond(peer, size, batch, steps, threads > 0 ? threads : TorchSharp.torch.get_num_threads());
                    Console.WriteLine(System.FormattableString.Invariant(
                        $"{architecture} {size}px batch {batch}: PyTorch eager {theirs:F2} img/s, DryWet {ours.ImagesPerSecond:F2} img/s, DryWet ÷ PyTorch = {ours.ImagesPerSecond / theirs:F2}"));
                }
            }

            return 0;
        }
        finally
        {
            Directory.Delete(work, recursive: true);
        }
    }
}

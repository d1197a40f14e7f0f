using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using DryWet.Core.Configuration;
using DryWet.Core.Imaging;
using DryWet.Core.Packaging;
using DryWet.Serving;
using DryWet.Serving.Inference;
using Microsoft.Extensions.Logging.Abstractions;

namespace DryWet.Benchmarks.Serving;

/// <summary>
/// <c>dotnet run -c Release --project DryWet.Benchmarks -- serving [--seconds 6] [--rounds 3] [--concurrency 16] [--model &lt;package dir&gt;] [--load wrk|dotnet] [--reloads 5] [--prediction-log] [--shadow]</c>
/// In one run: (1) raw ONNX Runtime throughput at batch 1 and 8; (2) HTTP throughput of the real server (separate
/// process) at saturation and its ratio to (1), the load coming from <c>wrk</c> (outside the process; the default when
/// installed) or from an in-process .NET client (<c>--load dotnet</c>); (3) p50/p99 latency at concurrency 1 next to
/// decode+preprocess + raw inference; (4) decode+preprocess of 1920×1080 JPEGs relative to inference; the server's
/// resident memory idle, warmed up and at its peak under load; (5) p99, failures and peak memory while the model
/// is reloaded under load (wrk only). <c>--prediction-log</c> instead compares throughput with the prediction log at
/// sample rate 1 and 0 (<see cref="PredictionLogBenchmark"/>); <c>--shadow</c> compares p50 and throughput with a shadow model
/// on and off (<see cref="ShadowBenchmark"/>).
/// </summary>
internal static class ServingBenchmark
{
    public static async Task<int> RunAsync(string[] args)
    {
        var arguments = new BenchmarkArguments(args);
        var seconds = arguments.Int("--seconds", 6);
        var concurrency = arguments.Int("--concurrency", 16);
        var roundCount = arguments.Int("--rounds", 3);
        var reloadCount = arguments.Int("--reloads", 5);
        var modelArg = arguments.String("--model");
        var loadArg = arguments.String("--load", "wrk");
        if (arguments.Flag("--prediction-log"))
        {
            return await PredictionLogBenchmark.RunAsync(seconds, roundCount, concurrency, modelArg, arguments.String("--log-rate") ?? "1");
        }

        if (arguments.Flag("--shadow"))
        {
            return await ShadowBenchmark.RunAsync(seconds, roundCount, concurrency, modelArg, arguments.String("--shadow-rate") ?? "1");
        }

        if (loadArg is not ("wrk" or "dotnet"))
        {
            Console.Error.WriteLine($"--load '{loadArg}' is not valid: use wrk (external, the default) or dotnet (in-process client).");
            return 2;
        }
        if (arguments.String("--write-package") is { } packageOut)
        {
            // A servable stand-in package: Model__Path=<dir> dotnet run --project DryWet.Serving
            var onnxFile = Path.Combine(Path.GetTempPath(), $"b3-like-{Guid.NewGuid():N}.onnx");
            File.WriteAllBytes(onnxFile, EfficientNetB3LikeGraph.Build(300));
            var written = WritePackage(onnxFile, packageOut);
            File.Delete(onnxFile);
            Console.WriteLine($"Wrote {written}");
            return 0;
        }

        Console.WriteLine($"DryWet serving benchmark · {Environment.ProcessorCount} cores · load average at start: {LoadAverage()}");

        var work = Path.Combine(Path.GetTempPath(), $"drywet-bench-{Guid.NewGuid():N}");
        Directory.CreateDirectory(work);
        try
        {
            var packageDir = modelArg ?? CreateB3LikePackage(work);
            var package = ModelPackage.Load(packageDir);
            var modelName = modelArg is null ? "EfficientNet-B3-shaped random graph (1.83 GMAC at 300 px, OnnxSharp-generated)" : packageDir;
            Console.WriteLine($"Model: {modelName}");

            // The limit: ONNX Runtime's own defaults (spinning threads, memory pattern), not the server's settings.
            var options = new ModelOptions { AllowSpinning = true, MemoryPattern = true };
            using var classifier = OnnxClassifier.Load(package.OnnxPath, package.Output, options, NullLogger.Instance);
            var height = classifier.FixedHeight ?? package.Config.Training.ImgSize;
            var width = classifier.FixedWidth ?? package.Config.Training.ImgSize;
            var preprocessor = new ImagePreprocessor(PreprocessorOptions.FromConfig(package.Config, height, width));
            Console.WriteLine($"Input {width}×{height}, provider {classifier.ExecutionProvider}, raw: ONNX Runtime defaults (intra-op threads, spinning, memory pattern); server: its appsettings + environment");

            var road720 = BenchmarkImages.Road(1280, 720);
            var road1080 = BenchmarkImages.Road(1920, 1080);
            var noise1080 = BenchmarkImages.Noise(1920, 1080);

            using var buffers = classifier.CreateBuffers(8, height, width, package.Labels.Count);
            for (var i = 0; i < 8; i++)
            {
                preprocessor.Preprocess(road720, buffers.ImageSlot(i));
            }

            using var wrk = loadArg == "wrk" ? WrkLoad.TryCreate(road720) : null;
            Console.WriteLine(wrk is not null ? "Load: wrk (external process)"
                : loadArg == "wrk" ? "Load: in-process .NET client (wrk is not on PATH: apt-get install wrk)" : "Load: in-process .NET client");
            await using var server = await ServiceProcess.StartServingAsync(packageDir, inheritSettings: true);
            using var client = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = 256 }) { BaseAddress = server.Address, Timeout = TimeSpan.FromSeconds(120) };
            await Task.Delay(2000);
            var idleRss = server.ResidentMegabytes();
            // Warm-up: JIT tiering, pools and the GC heap of the server settle before anything is measured.
            await MeasureLoadAsync(wrk, client, server.Address, road720, concurrency, Math.Max(3, seconds / 2));
            var warmRss = server.ResidentMegabytes();
            for (var i = 0; i < 10; i++)
            {
                await PredictAsync(client, road720);
            }

            // Rounds interleave raw and HTTP phases so that load from other processes hits both alike; ratios are per round.
            var rounds = new List<Round>();
            var failed = 0;
            for (var round = 1; round <= roundCount; round++)
            {
                var batch1 = MeasureRuns(classifier, buffers, 1, seconds);
                var batch8 = classifier.FixedBatch is null ? MeasureRuns(classifier, buffers, 8, seconds) : batch1;
                var pre720 = MedianMilliseconds(() => preprocessor.Preprocess(road720, buffers.ImageSlot(0)), 30);
                var pre1080 = MedianMilliseconds(() => preprocessor.Preprocess(road1080, buffers.ImageSlot(0)), 20);
                var preNoise = MedianMilliseconds(() => preprocessor.Preprocess(noise1080, buffers.ImageSlot(0)), 20);
                var (p50, p99, count) = await MeasureLatencyAsync(client, road720, seconds);
                var serverCpuBefore = CpuTime(server.Process);
                var (throughput, roundFailed, served) = await MeasureLoadAsync(wrk, client, server.Address, road720, concurrency, seconds);
                var serverCpuPerImage = (CpuTime(server.Process) - serverCpuBefore) / Math.Max(1, served);
                failed += roundFailed;
                var rawCpu = Math.Min(batch1.CpuMsPerImage, batch8.CpuMsPerImage);
                var r = new Round(batch1.ImagesPerSecond, batch8.ImagesPerSecond, batch1.MillisecondsPerRun, pre720, pre1080, preNoise, p50, p99, count, throughput,
                    rawCpu, serverCpuPerImage);
                rounds.Add(r);
                Console.WriteLine($"round {round}: raw b1 {r.Batch1:F1} img/s ({r.InferenceMs:F1} ms), b8 {r.Batch8:F1} img/s | HTTP c={concurrency} {r.Http:F1} img/s, ratio {r.Ratio:F2} | " +
                    $"c=1 p50 {r.P50:F1} p99 {r.P99:F1} ms (n={count}) vs parts {r.Pre720:F1}+{r.InferenceMs:F1} → {r.LatencyRatio:F2} | " +
                    $"preprocess 1080p road {r.Pre1080:F1} ms ({100 * r.Pre1080 / r.InferenceMs:F0}%), noisy {r.PreNoise:F1} ms ({100 * r.PreNoise / r.InferenceMs:F0}%) | " +
                    $"CPU ms/img raw {r.RawCpuMsPerImage:F0} vs server {r.ServerCpuMsPerImage:F0} → {r.CpuRatio:F2} | load {LoadAverage()}");
            }

            double Median(Func<Round, double> f) => rounds.Select(f).Order().ElementAt(rounds.Count / 2);
            Console.WriteLine();
            Console.WriteLine($"Medians over {rounds.Count} rounds ({seconds} s per phase), model: {modelName}; images: 1280×720 road JPEG ({road720.Length / 1024} KB) for HTTP, " +
                $"1920×1080 road ({road1080.Length / 1024} KB) and noise ({noise1080.Length / 1024} KB) JPEGs for (4).");
            Console.WriteLine("| measure | value | target |");
            Console.WriteLine("|---|---|---|");
            Console.WriteLine($"| (1) raw ORT batch 1 / batch 8 | {Median(r => r.Batch1):F1} / {Median(r => r.Batch8):F1} img/s | |");
            Console.WriteLine($"| (2) HTTP throughput, {concurrency} concurrent clients | {Median(r => r.Http):F1} img/s ({failed} failed) | |");
            Console.WriteLine($"| (2)/(1) HTTP ÷ raw saturation (wall clock) | {Median(r => r.Ratio):F2} | ≥ 0.9 |");
            Console.WriteLine($"| (2)/(1) at equal CPU: raw ÷ server CPU-ms per image | {Median(r => r.RawCpuMsPerImage):F0} ÷ {Median(r => r.ServerCpuMsPerImage):F0} = {Median(r => r.CpuRatio):F2} | ≥ 0.9 |");
            Console.WriteLine($"| (3) p50 / p99 at concurrency 1 | {Median(r => r.P50):F1} / {Median(r => r.P99):F1} ms | |");
            Console.WriteLine($"| (3) decode+preprocess + raw inference | {Median(r => r.Pre720):F1} + {Median(r => r.InferenceMs):F1} ms | |");
            Console.WriteLine($"| (3) p50 ÷ sum of parts | {Median(r => r.LatencyRatio):F2} | ≤ 1.15 |");
            Console.WriteLine($"| (4) decode+preprocess 1920×1080 road / noisy JPEG | {Median(r => r.Pre1080):F1} / {Median(r => r.PreNoise):F1} ms | |");
            Console.WriteLine($"| (4) ÷ raw inference (batch 1) | {100 * Median(r => r.Pre1080 / r.InferenceMs):F0}% / {100 * Median(r => r.PreNoise / r.InferenceMs):F0}% | ≤ 25% |");
            if (wrk is not null && reloadCount > 0)
            {
                var reload = await ReloadUnderLoad.MeasureAsync(wrk, client, server.Address, server.ResidentMegabytes, concurrency, seconds, reloadCount);
                Console.WriteLine($"| reloads under {concurrency}-client load | {reload} | p99 ≤ 2×, RSS ≤ 1.3×, 0 failed |");
                failed += reload.During.Failed + reload.FailedReloads;
            }

            Console.WriteLine($"| server RSS: idle / warmed up / now / peak (VmHWM) | {idleRss:F0} / {warmRss:F0} / {server.ResidentMegabytes():F0} / {server.PeakResidentMegabytes():F0} MB | peak ≤ 1.5× warmed up |");
            Console.WriteLine($"Load average at end: {LoadAverage()}");
            return failed == 0 ? 0 : 1;
        }
        finally
        {
            Directory.Delete(work, recursive: true);
        }
    }

    private sealed record Round(double Batch1, double Batch8, double InferenceMs, double Pre720, double Pre1080, double PreNoise,
        double P50, double P99, int LatencySamples, double Http, double RawCpuMsPerImage, double ServerCpuMsPerImage)
    {
        /// <summary>Throughput ratio at equal CPU: raw CPU per image ÷ server CPU per image (HTTP + decode + batching + ORT).</summary>
        public double CpuRatio => RawCpuMsPerImage / ServerCpuMsPerImage;
        public double Ratio => Http / Math.Max(Batch1, Batch8);
        public double LatencyRatio => P50 / (Pre720 + InferenceMs);
    }

    internal static async Task<(double P50, double P99, int Count)> MeasureLatencyAsync(HttpClient client, byte[] image, int seconds)
    {
        var latencies = new List<double>();
        var watch = Stopwatch.StartNew();
        while (watch.Elapsed.TotalSeconds < seconds || latencies.Count < 20)
        {
            var started = Stopwatch.GetTimestamp();
            await PredictAsync(client, image);
            latencies.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
        }

        latencies.Sort();
        return (Percentile(latencies, 0.50), Percentile(latencies, 0.99), latencies.Count);
    }

    private static async Task<(double ImagesPerSecond, int Failed, int Served)> MeasureThroughputAsync(HttpClient client, byte[] image, int concurrency, int seconds)
    {
        var served = 0;
        var failed = 0;
        var watch = Stopwatch.StartNew();
        var deadline = TimeSpan.FromSeconds(seconds);
        await Task.WhenAll(Enumerable.Range(0, concurrency).Select(async _ =>
        {
            while (watch.Elapsed < deadline)
            {
                if (await PredictAsync(client, image))
                {
                    Interlocked.Increment(ref served);
                }
                else
                {
                    Interlocked.Increment(ref failed);
                }
            }
        }));
        return (served / watch.Elapsed.TotalSeconds, failed, served);
    }

    /// <summary>Saturation throughput: wrk when given (outside the process), else the in-process client.</summary>
    internal static async Task<(double ImagesPerSecond, int Failed, int Served)> MeasureLoadAsync(WrkLoad? wrk, HttpClient client, Uri server,
        byte[] image, int concurrency, int seconds)
    {
        if (wrk is null)
        {
            return await MeasureThroughputAsync(client, image, concurrency, seconds);
        }

        var result = await wrk.RunAsync(server, concurrency, seconds);
        return (result.RequestsPerSecond * (result.Requests - result.Failed) / Math.Max(1, result.Requests), result.Failed, result.Requests - result.Failed);
    }

    internal static string CreateB3LikePackage(string work)
    {
        var onnx = Path.Combine(work, "b3-like.onnx");
        File.WriteAllBytes(onnx, EfficientNetB3LikeGraph.Build(300));
        return WritePackage(onnx, Path.Combine(work, "package"));
    }

    private static string WritePackage(string onnx, string directory)
    {
        var config = DryWetConfig.Default;
        config.Training.ImgSize = 300;
        return ModelPackage.Write(directory, new ModelPackageContents(onnx, config, ["dry", "wet"],
            new Dictionary<string, double>(), new Dictionary<string, string>(),
            InputName: EfficientNetB3LikeGraph.InputName, OutputName: EfficientNetB3LikeGraph.OutputName)).Directory;
    }

    private static (double ImagesPerSecond, double MillisecondsPerRun, double CpuMsPerImage) MeasureRuns(OnnxClassifier classifier, BatchBuffers buffers, int batch, int seconds)
    {
        for (var i = 0; i < 3; i++)
        {
            classifier.Run(buffers, batch);
        }

        var runs = 0;
        var cpuBefore = CpuTime(Process.GetCurrentProcess());
        var watch = Stopwatch.StartNew();
        while (watch.Elapsed.TotalSeconds < seconds || runs < 5)
        {
            classifier.Run(buffers, batch);
            runs++;
        }

        var elapsed = watch.Elapsed.TotalSeconds;
        var cpu = CpuTime(Process.GetCurrentProcess()) - cpuBefore;
        return (runs * batch / elapsed, 1000 * elapsed / runs, cpu / (runs * batch));
    }

    private static double MedianMilliseconds(Action action, int iterations)
    {
        action();
        var samples = new double[iterations];
        for (var i = 0; i < iterations; i++)
        {
            var started = Stopwatch.GetTimestamp();
            action();
            samples[i] = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
        }

        Array.Sort(samples);
        return samples[iterations / 2];
    }

    private static double Percentile(List<double> sorted, double q) => sorted[Math.Min(sorted.Count - 1, (int)Math.Ceiling(q * sorted.Count) - 1)];

    private static async Task<bool> PredictAsync(HttpClient client, byte[] image)
    {
        var content = new ByteArrayContent(image);
        content.Headers.ContentType = new MediaTypeHeaderValue("image/jpeg");
        using var form = new MultipartFormDataContent { { content, "file", "frame.jpg" } };
        using var response = await client.PostAsync("/predict", form);
        await response.Content.ReadAsByteArrayAsync();
        return response.StatusCode == HttpStatusCode.OK;
    }

    /// <summary>CPU milliseconds (user + system, all threads) a process has used; robust to load from other processes.</summary>
    internal static double CpuTime(Process process)
    {
        process.Refresh();
        return process.TotalProcessorTime.TotalMilliseconds;
    }

    internal static string LoadAverage() => File.Exists("/proc/loadavg") ? string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3)) : "n/a";
}

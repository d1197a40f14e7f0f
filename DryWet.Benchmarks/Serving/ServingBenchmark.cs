using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using DryWet.Core.Configuration;
using DryWet.Core.Imaging;
using DryWet.Core.Packaging;
using DryWet.Serving;
using DryWet.Serving.Inference;
using DryWet.TrainingWorker.Export;
using Microsoft.Extensions.Logging.Abstractions;

namespace DryWet.Benchmarks.Serving;

/// <summary>
/// <c>dotnet run -c Release --project DryWet.Benchmarks -- serving [--seconds 6] [--rounds 3] [--concurrency 16] [--model &lt;package dir&gt;] [--load wrk|dotnet] [--reloads 5]
/// [--peer "&lt;command running seed_serving.py&gt;"] [--max-load 1.5] [--cooldown 120s] [--allow-busy] [--prediction-log] [--shadow [--challenger &lt;package dir&gt;]] [--precision fp32|int8|auto]</c>
/// In one run: (1) raw ONNX Runtime throughput at batch 1 and 8; (2) HTTP throughput of the real server (separate
/// process) at saturation and its ratio to (1), the load coming from <c>wrk</c> (outside the process; the default when
/// installed) or from an in-process .NET client (<c>--load dotnet</c>); (3) p50/p99 latency at concurrency 1 next to
/// decode+preprocess + raw inference; (4) decode+preprocess of 1920×1080 JPEGs relative to inference; the server's
/// resident memory idle, warmed up and at its peak under load; (5) p99, failures and peak memory while the model
/// is reloaded under load (wrk only); (6) with <c>--peer</c>, the original FastAPI + PyTorch server (<see cref="PeerServer"/>)
/// at the same concurrency and at 1 client in every round, and DryWet's ratio to it. Every round first waits for an
/// idle machine and prints the load average before and after (<see cref="LoadGuard"/>: a busy round is refused, or with
/// <c>--allow-busy</c> marked BUSY); figures are medians over the rounds. <c>--prediction-log</c> instead compares throughput with the prediction log at
/// sample rate 1 and 0 (<see cref="PredictionLogBenchmark"/>); <c>--shadow</c> compares p50 and throughput with a shadow model
/// on and off (<see cref="ShadowBenchmark"/>). <c>--precision</c> (default fp32) picks the package's
/// graph for both the raw runs and the server (<c>Model:Precision</c>): run it once with fp32 and once with int8 to
/// compare; without <c>--model</c>, int8 quantizes the stand-in graph (calibrated on benchmark images: speed only, its
/// accuracy means nothing).
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
        var peerCommand = arguments.String("--peer");
        var guard = LoadGuard.From(arguments);
        var precisionArg = arguments.String("--precision", "fp32").Trim().ToLowerInvariant();
        if (precisionArg is not ("fp32" or "int8" or "auto"))
        {
            throw new BenchmarkArgumentException($"--precision '{precisionArg}' is not valid: use {PrecisionChoice.Names}.");
        }

        if (arguments.Flag("--prediction-log"))
        {
            return await PredictionLogBenchmark.RunAsync(seconds, roundCount, concurrency, modelArg, arguments.String("--log-rate") ?? "1");
        }

        if (arguments.Flag("--shadow"))
        {
            return await ShadowBenchmark.RunAsync(seconds, roundCount, concurrency, modelArg, arguments.String("--challenger"), arguments.String("--shadow-rate") ?? "1");
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

        Console.WriteLine($"DryWet serving benchmark · {Environment.ProcessorCount} cores · {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC · load average at start: {LoadAverage()} · busy above {guard.MaxLoad:F2}");
        try
        {
            return await MeasureAsync(guard, seconds, concurrency, roundCount, reloadCount, modelArg, loadArg, peerCommand, precisionArg);
        }
        catch (MachineBusyException ex)
        {
            Console.Error.WriteLine(ex.Message);
            return 3;
        }
    }

    private static async Task<int> MeasureAsync(LoadGuard guard, int seconds, int concurrency, int roundCount, int reloadCount, string? modelArg,
        string loadArg, string? peerCommand, string precisionArg)
    {

        var work = Path.Combine(Path.GetTempPath(), $"drywet-bench-{Guid.NewGuid():N}");
        Directory.CreateDirectory(work);
        try
        {
            var packageDir = modelArg ?? await CreateB3LikePackageAsync(work, withInt8: precisionArg != "fp32");
            var package = ModelPackage.Load(packageDir);
            var precision = PrecisionChoice.Resolve(precisionArg, package, null);
            Console.WriteLine(precision.NeedsSpeedCheck
                ? $"Precision: auto with a vouched INT8 graph: the server serves it only when it is also faster at load (its choice is printed below); raw runs time the INT8 candidate {precision.OnnxPath}"
                : $"Precision: {precision.Name} ({precision.Reason}), graph {precision.OnnxPath}");
            var modelName = modelArg is null ? "EfficientNet-B3-shaped random graph (1.83 GMAC at 300 px, OnnxSharp-generated)" : packageDir;
            Console.WriteLine($"Model: {modelName}");

            // The limit: ONNX Runtime's own defaults (spinning threads, memory pattern), not the server's settings.
            var options = new ModelOptions { AllowSpinning = true, MemoryPattern = true };
            using var classifier = OnnxClassifier.Load(precision.OnnxPath, package.Output, options, NullLogger.Instance);
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
            await using var peer = peerCommand is null ? null : await PeerServer.StartAsync(peerCommand, width);
            using var peerClient = peer is null ? null : new HttpClient { BaseAddress = peer.Address, Timeout = TimeSpan.FromSeconds(120) };
            if (peer is not null)
            {
                Console.WriteLine($"Peer: {peerCommand} (FastAPI + PyTorch eager) at {peer.Address}");
                await MeasureLoadAsync(wrk, peerClient!, peer.Address, road720, concurrency, Math.Max(3, seconds / 2)); // warm-up
            }

            await using var server = await ServiceProcess.StartServingAsync(packageDir,
                new Dictionary<string, string> { ["Model__Precision"] = precision.NeedsSpeedCheck ? "auto" : precision.Name }, inheritSettings: true);
            using var client = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = 256 }) { BaseAddress = server.Address, Timeout = TimeSpan.FromSeconds(120) };
            if (precision.NeedsSpeedCheck)
            {
                var info = await client.GetFromJsonAsync<JsonElement>("/model/info");
                Console.WriteLine($"Server: {info.GetProperty("precision").GetString()} ({info.GetProperty("precision_reason").GetString()})");
            }

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
                var (loadBefore, busy) = await guard.BeforeRoundAsync($"round {round}");
                var batch1 = MeasureRuns(classifier, buffers, 1, seconds);
                var batch8 = classifier.FixedBatch is null ? MeasureRuns(classifier, buffers, 8, seconds) : batch1;
                var pre720 = MedianMilliseconds(() => preprocessor.Preprocess(road720, buffers.ImageSlot(0)), 30);
                var (pre1080, stages1080) = MedianStages(preprocessor, road1080, buffers.ImageSlot(0), 20);
                var (preNoise, stagesNoise) = MedianStages(preprocessor, noise1080, buffers.ImageSlot(0), 20);
                var (p50, p99, count, singleSeconds) = await MeasureLatencyAsync(client, road720, seconds);
                var serverCpuBefore = CpuTime(server.Process);
                var (throughput, roundFailed, served) = await MeasureLoadAsync(wrk, client, server.Address, road720, concurrency, seconds);
                var serverCpuPerImage = (CpuTime(server.Process) - serverCpuBefore) / Math.Max(1, served);
                failed += roundFailed;
                var rawCpu = Math.Min(batch1.CpuMsPerImage, batch8.CpuMsPerImage);
                var (peerHttp, peerSingle) = (0.0, 0.0);
                if (peer is not null)
                {
                    peerHttp = (await MeasureLoadAsync(wrk, peerClient!, peer.Address, road720, concurrency, seconds)).ImagesPerSecond;
                    var (_, _, peerCount, peerSeconds) = await MeasureLatencyAsync(peerClient!, road720, seconds);
                    peerSingle = peerCount / peerSeconds;
                }

                var r = new Round(batch1.ImagesPerSecond, batch8.ImagesPerSecond, batch1.MillisecondsPerRun, pre720, pre1080, preNoise, p50, p99, count, throughput,
                    rawCpu, serverCpuPerImage, count / singleSeconds, peerHttp, peerSingle, busy);
                rounds.Add(r);
                var loadAfter = LoadAverage();
                Console.WriteLine($"round {round}: raw b1 {r.Batch1:F1} img/s ({r.InferenceMs:F1} ms), b8 {r.Batch8:F1} img/s | HTTP c={concurrency} {r.Http:F1} img/s, ratio {r.Ratio:F2} | " +
                    $"c=1 p50 {r.P50:F1} p99 {r.P99:F1} ms (n={count}) vs parts {r.Pre720:F1}+{r.InferenceMs:F1} → {r.LatencyRatio:F2} | " +
                    $"preprocess 1080p road {r.Pre1080:F1} ms ({100 * r.Pre1080 / r.InferenceMs:F0}%), noisy {r.PreNoise:F1} ms ({100 * r.PreNoise / r.InferenceMs:F0}%) | " +
                    $"CPU ms/img raw {r.RawCpuMsPerImage:F0} vs server {r.ServerCpuMsPerImage:F0} → {r.CpuRatio:F2}" +
                    (peer is null ? "" : $" | peer c={concurrency} {peerHttp:F1} req/s, c=1 {peerSingle:F1} req/s → DryWet {r.PeerRatio:F2}× / {r.PeerSingleRatio:F2}×") +
                    $" | load before {loadBefore:F2}, after {loadAfter}{(busy ? " | BUSY: not a measurement" : "")}");
                Console.WriteLine($"  stages (header / decode / resize+normalize, ms): 1080p road {stages1080}, noisy {stagesNoise}");
            }

            double Median(Func<Round, double> f) => rounds.Select(f).Order().ElementAt(rounds.Count / 2);
            Console.WriteLine();
            if (guard.AnyBusy)
            {
                Console.WriteLine($"!!! BUSY: at least one round started with load average above {guard.MaxLoad:F2} (--allow-busy): these figures are NOT measurements !!!");
            }

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
            Console.WriteLine($"| (3) p50 ÷ sum of parts | {Median(r => r.LatencyRatio):F2} | ≤ 1.10 |");
            Console.WriteLine($"| (4) decode+preprocess 1920×1080 road / noisy JPEG | {Median(r => r.Pre1080):F1} / {Median(r => r.PreNoise):F1} ms | |");
            Console.WriteLine($"| (4) ÷ raw inference (batch 1) | {100 * Median(r => r.Pre1080 / r.InferenceMs):F0}% / {100 * Median(r => r.PreNoise / r.InferenceMs):F0}% | ≤ 20% / 30% |");
            if (peer is not null)
            {
                Console.WriteLine($"| (6) original stack (FastAPI + PyTorch eager), {concurrency} / 1 clients | {Median(r => r.PeerHttp):F1} / {Median(r => r.PeerSingle):F1} req/s; " +
                    $"DryWet {Median(r => r.Http):F1} / {Median(r => r.Single):F1} = {Median(r => r.PeerRatio):F2}× / {Median(r => r.PeerSingleRatio):F2}× | ≥ 4× with INT8 |");
            }

            if (wrk is not null && reloadCount > 0)
            {
                var reload = await ReloadUnderLoad.MeasureAsync(wrk, client, server.Address, server.ResidentMegabytes, concurrency, seconds, reloadCount);
                Console.WriteLine($"| (5) reloads under {concurrency}-client load | {reload} | p99 ≤ 2×, RSS ≤ 1.3×, 0 failed |");
                failed += reload.During.Failed + reload.FailedReloads;
            }

            Console.WriteLine($"| server RSS: idle / warmed up / now / peak (VmHWM) | {idleRss:F0} / {warmRss:F0} / {server.ResidentMegabytes():F0} / {server.PeakResidentMegabytes():F0} MB | peak ≤ 1.5× warmed up |");
            Console.WriteLine($"Load average at end: {LoadAverage()}{(guard.AnyBusy ? " · BUSY rounds included: not a measurement" : "")}");
            return failed == 0 ? 0 : 1;
        }
        finally
        {
            Directory.Delete(work, recursive: true);
        }
    }

    private sealed record Round(double Batch1, double Batch8, double InferenceMs, double Pre720, double Pre1080, double PreNoise,
        double P50, double P99, int LatencySamples, double Http, double RawCpuMsPerImage, double ServerCpuMsPerImage, double Single,
        double PeerHttp, double PeerSingle, bool Busy)
    {
        public double PeerRatio => Http / PeerHttp;
        public double PeerSingleRatio => Single / PeerSingle;

        /// <summary>Throughput ratio at equal CPU: raw CPU per image ÷ server CPU per image (HTTP + decode + batching + ORT).</summary>
        public double CpuRatio => RawCpuMsPerImage / ServerCpuMsPerImage;
        public double Ratio => Http / Math.Max(Batch1, Batch8);
        public double LatencyRatio => P50 / (Pre720 + InferenceMs);
    }

    /// <summary>Sequential requests for <paramref name="seconds"/> (at least 20): p50, p99, count and the seconds they took.</summary>
    internal static async Task<(double P50, double P99, int Count, double Seconds)> MeasureLatencyAsync(HttpClient client, byte[] image, int seconds)
    {
        var latencies = new List<double>();
        var watch = Stopwatch.StartNew();
        while (watch.Elapsed.TotalSeconds < seconds || latencies.Count < 20)
        {
            var started = Stopwatch.GetTimestamp();
            await PredictAsync(client, image);
            latencies.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
        }

        var elapsed = watch.Elapsed.TotalSeconds;
        latencies.Sort();
        return (Percentile(latencies, 0.50), Percentile(latencies, 0.99), latencies.Count, elapsed);
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

    /// <summary>The stand-in package, with its QDQ INT8 twin (calibrated on 8 benchmark images) when asked.</summary>
    private static async Task<string> CreateB3LikePackageAsync(string work, bool withInt8)
    {
        var onnx = Path.Combine(work, "b3-like.onnx");
        await File.WriteAllBytesAsync(onnx, EfficientNetB3LikeGraph.Build(300));
        string? int8 = null;
        if (withInt8)
        {
            var preprocessor = new ImagePreprocessor(PreprocessorOptions.FromConfig(StandInConfig(), 300, 300));
            var images = Enumerable.Range(0, 8).Select(i => preprocessor.Preprocess(i % 2 == 0 ? BenchmarkImages.Road(1280, 720) : BenchmarkImages.Noise(640, 480)));
            int8 = Path.Combine(work, "b3-like.int8.onnx");
            await QuantizedExport.WriteAsync(onnx, int8, images, 300, 300);
        }

        return WritePackage(onnx, Path.Combine(work, "package"), int8);
    }

    private static DryWetConfig StandInConfig()
    {
        var config = DryWetConfig.Default;
        config.Training.ImgSize = 300;
        return config;
    }

    private static string WritePackage(string onnx, string directory, string? int8 = null) =>
        ModelPackage.Write(directory, new ModelPackageContents(onnx, StandInConfig(), ["dry", "wet"],
            new Dictionary<string, double>(), new Dictionary<string, string>(),
            InputName: EfficientNetB3LikeGraph.InputName, OutputName: EfficientNetB3LikeGraph.OutputName, Int8OnnxModelPath: int8)).Directory;

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

    /// <summary>Median total ms of preprocessing one image, and the median of each stage as text.</summary>
    private static (double TotalMs, string Stages) MedianStages(ImagePreprocessor preprocessor, byte[] image, Span<float> slot, int iterations)
    {
        preprocessor.Preprocess(image, slot);
        var samples = new PreprocessTimings[iterations];
        for (var i = 0; i < iterations; i++)
        {
            samples[i] = preprocessor.Preprocess(image, slot);
        }

        double Median(Func<PreprocessTimings, TimeSpan> stage) => samples.Select(s => stage(s).TotalMilliseconds).Order().ElementAt(iterations / 2);
        return (Median(s => s.Total), $"{Median(s => s.Header):F2} / {Median(s => s.Decode):F2} / {Median(s => s.Resize):F2}");
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

    internal static string LoadAverage() => LoadGuard.Text();
}

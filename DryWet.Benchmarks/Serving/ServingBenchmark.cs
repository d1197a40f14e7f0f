using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using System.Text.Json;
using DryWet.Core.Configuration;
using DryWet.Core.Imaging;
using DryWet.Core.Packaging;
using DryWet.Serving;
using DryWet.Serving.Inference;
using Microsoft.Extensions.Logging.Abstractions;

namespace DryWet.Benchmarks.Serving;

/// <summary>
/// <c>dotnet run -c Release --project DryWet.Benchmarks -- serving [--seconds 6] [--concurrency 8] [--model &lt;package dir&gt;]</c>
/// In one run: (1) raw ONNX Runtime throughput at batch 1 and 8; (2) HTTP throughput of the real server (separate
/// process, loopback client) at saturation and its ratio to (1); (3) p50/p99 latency at concurrency 1 next to
/// decode+preprocess + raw inference; (4) decode+preprocess of 1920×1080 JPEGs relative to inference.
/// </summary>
internal static class ServingBenchmark
{
    public static async Task<int> RunAsync(string[] args)
    {
        var seconds = IntArg(args, "--seconds", 6);
        var concurrency = IntArg(args, "--concurrency", 8);
        var modelArg = StringArg(args, "--model");
        Console.WriteLine($"DryWet serving benchmark · {Environment.ProcessorCount} cores · load average at start: {LoadAverage()}");

        var work = Path.Combine(Path.GetTempPath(), $"drywet-bench-{Guid.NewGuid():N}");
        Directory.CreateDirectory(work);
        try
        {
            var packageDir = modelArg ?? CreateB3LikePackage(work);
            var package = ModelPackage.Load(packageDir);
            var modelName = modelArg is null ? "EfficientNet-B3-shaped random graph (1.83 GMAC at 300 px, OnnxSharp-generated)" : packageDir;
            Console.WriteLine($"Model: {modelName}");

            var options = new ModelOptions();
            using var classifier = OnnxClassifier.Load(package.OnnxPath, options, NullLogger.Instance);
            var height = classifier.FixedHeight ?? package.Config.Training.ImgSize;
            var width = classifier.FixedWidth ?? package.Config.Training.ImgSize;
            var preprocessor = new ImagePreprocessor(PreprocessorOptions.FromConfig(package.Config, height, width));
            Console.WriteLine($"Input {width}×{height}, provider {classifier.ExecutionProvider}, intra-op threads: ONNX Runtime default");

            var road720 = BenchmarkImages.Road(1280, 720);
            var road1080 = BenchmarkImages.Road(1920, 1080);
            var noise1080 = BenchmarkImages.Noise(1920, 1080);

            // (1) Raw ONNX Runtime.
            using var buffers = classifier.CreateBuffers(8, height, width, package.Labels.Count);
            for (var i = 0; i < 8; i++)
            {
                preprocessor.Preprocess(road720, buffers.ImageSlot(i));
            }

            var batch1 = MeasureRuns(classifier, buffers, 1, seconds);
            var batch8 = classifier.FixedBatch is null ? MeasureRuns(classifier, buffers, 8, seconds) : batch1;
            var rawSaturation = Math.Max(batch1.ImagesPerSecond, batch8.ImagesPerSecond);
            Console.WriteLine($"(1) raw ORT  batch 1: {batch1.ImagesPerSecond,7:F1} img/s ({batch1.MillisecondsPerRun:F1} ms/run)   batch 8: {batch8.ImagesPerSecond,7:F1} img/s");

            // (4) Decode + preprocess.
            var pre720 = MedianMilliseconds(() => preprocessor.Preprocess(road720, buffers.ImageSlot(0)), 40);
            var pre1080 = MedianMilliseconds(() => preprocessor.Preprocess(road1080, buffers.ImageSlot(0)), 30);
            var preNoise = MedianMilliseconds(() => preprocessor.Preprocess(noise1080, buffers.ImageSlot(0)), 30);
            var inferenceMs = batch1.MillisecondsPerRun;
            Console.WriteLine($"(4) decode+preprocess 1920×1080 road JPEG ({road1080.Length / 1024} KB): {pre1080:F1} ms = {100 * pre1080 / inferenceMs:F0}% of inference; " +
                $"noisy ({noise1080.Length / 1024} KB): {preNoise:F1} ms = {100 * preNoise / inferenceMs:F0}%; 1280×720 road ({road720.Length / 1024} KB): {pre720:F1} ms");

            // (2) and (3): the real server in its own process.
            await using var server = await ServerProcess.StartAsync(packageDir);
            using var client = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = 256 }) { BaseAddress = server.Address, Timeout = TimeSpan.FromSeconds(60) };
            for (var i = 0; i < 10; i++)
            {
                await PredictAsync(client, road720);
            }

            var latencies = new List<double>();
            var latencyWatch = Stopwatch.StartNew();
            while (latencyWatch.Elapsed.TotalSeconds < seconds || latencies.Count < 40)
            {
                var started = Stopwatch.GetTimestamp();
                await PredictAsync(client, road720);
                latencies.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
            }

            latencies.Sort();
            var p50 = Percentile(latencies, 0.50);
            var p99 = Percentile(latencies, 0.99);
            var parts = pre720 + inferenceMs;
            Console.WriteLine($"(3) HTTP latency at concurrency 1 (1280×720 JPEG, n={latencies.Count}): p50 {p50:F1} ms, p99 {p99:F1} ms; " +
                $"parts: decode+preprocess {pre720:F1} + inference {inferenceMs:F1} = {parts:F1} ms → p50/parts = {p50 / parts:F2}");

            var served = 0;
            var failed = 0;
            var throughputWatch = Stopwatch.StartNew();
            var deadline = TimeSpan.FromSeconds(seconds);
            await Task.WhenAll(Enumerable.Range(0, concurrency).Select(async _ =>
            {
                while (throughputWatch.Elapsed < deadline)
                {
                    if (await PredictAsync(client, road720))
                    {
                        Interlocked.Increment(ref served);
                    }
                    else
                    {
                        Interlocked.Increment(ref failed);
                    }
                }
            }));
            var serverThroughput = served / throughputWatch.Elapsed.TotalSeconds;
            var ratio = serverThroughput / rawSaturation;
            Console.WriteLine($"(2) HTTP throughput at concurrency {concurrency} (1280×720 JPEG): {serverThroughput:F1} img/s ({failed} failed) → ratio to raw ORT saturation {ratio:F2}");
            Console.WriteLine($"Load average at end: {LoadAverage()}");

            Console.WriteLine();
            Console.WriteLine("| measure | value | target |");
            Console.WriteLine("|---|---|---|");
            Console.WriteLine($"| raw ORT batch 1 / batch 8 | {batch1.ImagesPerSecond:F1} / {batch8.ImagesPerSecond:F1} img/s | |");
            Console.WriteLine($"| HTTP throughput, {concurrency} clients | {serverThroughput:F1} img/s | |");
            Console.WriteLine($"| HTTP / raw saturation | {ratio:F2} | ≥ 0.9 |");
            Console.WriteLine($"| p50 / p99 at concurrency 1 | {p50:F1} / {p99:F1} ms | |");
            Console.WriteLine($"| p50 / (preprocess + inference) | {p50 / parts:F2} | ≤ 1.15 |");
            Console.WriteLine($"| preprocess 1920×1080 road / noisy JPEG | {pre1080:F1} / {preNoise:F1} ms = {100 * pre1080 / inferenceMs:F0}% / {100 * preNoise / inferenceMs:F0}% of inference | ≤ 25% |");
            return failed == 0 ? 0 : 1;
        }
        finally
        {
            Directory.Delete(work, recursive: true);
        }
    }

    private static string CreateB3LikePackage(string work)
    {
        var onnx = Path.Combine(work, "b3-like.onnx");
        File.WriteAllBytes(onnx, EfficientNetB3LikeGraph.Build(300));
        var config = DryWetConfig.Default;
        config.Training.ImgSize = 300;
        return ModelPackage.Write(Path.Combine(work, "package"), new ModelPackageContents(onnx, config, ["dry", "wet"],
            new Dictionary<string, double>(), new Dictionary<string, string>(),
            InputName: EfficientNetB3LikeGraph.InputName, OutputName: EfficientNetB3LikeGraph.OutputName)).Directory;
    }

    private static (double ImagesPerSecond, double MillisecondsPerRun) MeasureRuns(OnnxClassifier classifier, BatchBuffers buffers, int batch, int seconds)
    {
        for (var i = 0; i < 3; i++)
        {
            classifier.Run(buffers, batch);
        }

        var runs = 0;
        var watch = Stopwatch.StartNew();
        while (watch.Elapsed.TotalSeconds < seconds || runs < 5)
        {
            classifier.Run(buffers, batch);
            runs++;
        }

        var elapsed = watch.Elapsed.TotalSeconds;
        return (runs * batch / elapsed, 1000 * elapsed / runs);
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

    private static string LoadAverage() => File.Exists("/proc/loadavg") ? string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3)) : "n/a";

    private static int IntArg(string[] args, string name, int fallback)
    {
        var i = Array.IndexOf(args, name);
        return i >= 0 && i + 1 < args.Length && int.TryParse(args[i + 1], out var v) ? v : fallback;
    }

    private static string? StringArg(string[] args, string name)
    {
        var i = Array.IndexOf(args, name);
        return i >= 0 && i + 1 < args.Length ? args[i + 1] : null;
    }

    /// <summary>DryWet.Serving started as its own process (as deployed), on a free loopback port.</summary>
    private sealed class ServerProcess : IAsyncDisposable
    {
        private readonly Process _process;

        private ServerProcess(Process process, Uri address)
        {
            _process = process;
            Address = address;
        }

        public Uri Address { get; }

        public static async Task<ServerProcess> StartAsync(string packageDir)
        {
            var dll = typeof(ServingOptions).Assembly.Location;
            using var probe = new TcpListener(IPAddress.Loopback, 0);
            probe.Start();
            var port = ((IPEndPoint)probe.LocalEndpoint).Port;
            probe.Stop();
            var address = new Uri($"http://127.0.0.1:{port}");
            var start = new ProcessStartInfo("dotnet", [dll])
            {
                UseShellExecute = false,
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                WorkingDirectory = Path.GetDirectoryName(dll)!,
            };
            start.Environment["ASPNETCORE_URLS"] = address.ToString();
            start.Environment["ASPNETCORE_ENVIRONMENT"] = "Production";
            start.Environment["Model__Path"] = packageDir;
            start.Environment["Logging__LogLevel__Default"] = "Warning";
            var process = Process.Start(start) ?? throw new InvalidOperationException("Could not start DryWet.Serving.");
            process.OutputDataReceived += (_, e) => { };
            process.ErrorDataReceived += (_, e) => { };
            process.BeginOutputReadLine();
            process.BeginErrorReadLine();
            var server = new ServerProcess(process, address);
            using var client = new HttpClient { BaseAddress = address };
            var deadline = DateTime.UtcNow.AddMinutes(2);
            while (DateTime.UtcNow < deadline)
            {
                if (process.HasExited)
                {
                    throw new InvalidOperationException($"DryWet.Serving exited with code {process.ExitCode}.");
                }

                try
                {
                    var status = JsonDocument.Parse(await client.GetStringAsync("/")).RootElement;
                    if (status.GetProperty("model_loaded").GetBoolean())
                    {
                        return server;
                    }
                }
                catch (HttpRequestException)
                {
                    // Not listening yet.
                }

                await Task.Delay(200);
            }

            await server.DisposeAsync();
            throw new TimeoutException("DryWet.Serving did not load the model within 2 minutes.");
        }

        public async ValueTask DisposeAsync()
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
                await _process.WaitForExitAsync();
            }

            _process.Dispose();
        }
    }
}

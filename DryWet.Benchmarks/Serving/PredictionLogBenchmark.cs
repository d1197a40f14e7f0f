using System.Globalization;
using DryWet.Core.Feedback;

namespace DryWet.Benchmarks.Serving;

/// <summary>
/// <c>serving --prediction-log [--seconds 6] [--rounds 4] [--concurrency 16] [--model &lt;package dir&gt;]</c>: what logging
/// every prediction costs. Two real servers on the same package, one with <c>Serving:PredictionLog:SampleRate</c> 0, one
/// with 1 (embedded store in a temp folder), loaded in turn by wrk (the order alternates per round, so load from other
/// processes hits both alike); per round the throughput and CPU-per-image ratio logged ÷ not logged. Target ≥ 0.95.
/// <c>--log-rate 0</c> runs the same comparison between two servers that both do not log (the A/A baseline: how far
/// two identical servers differ on this machine).
/// </summary>
internal static class PredictionLogBenchmark
{
    public static async Task<int> RunAsync(int seconds, int rounds, int concurrency, string? model, string logRate = "1")
    {
        Console.WriteLine($"Prediction-log benchmark · {Environment.ProcessorCount} cores · load average at start: {ServingBenchmark.LoadAverage()}");
        var work = Path.Combine(Path.GetTempPath(), $"drywet-bench-log-{Guid.NewGuid():N}");
        Directory.CreateDirectory(work);
        try
        {
            var package = model ?? ServingBenchmark.CreateB3LikePackage(work);
            var image = BenchmarkImages.Road(1280, 720);
            using var wrk = WrkLoad.TryCreate(image) ?? throw new InvalidOperationException("wrk is not on PATH: apt-get install wrk");
            await using var off = await ServiceProcess.StartServingAsync(package, inheritSettings: true, environment: new Dictionary<string, string>
            {
                ["Serving__PredictionLog__SampleRate"] = "0",
            });
            await using var on = await ServiceProcess.StartServingAsync(package, inheritSettings: true, environment: new Dictionary<string, string>
            {
                ["Serving__PredictionLog__SampleRate"] = logRate,
                ["DryWet__Home"] = Path.Combine(work, "home"),
            });
            Console.WriteLine($"Model: {(model ?? "EfficientNet-B3-shaped random graph at 300 px")}; image 1280×720 JPEG ({image.Length / 1024} KB); wrk -c {concurrency}, {seconds} s per phase");

            // Warm-up of both (JIT, pools, the log's bucket and first folder).
            await ServingBenchmark.MeasureLoadAsync(wrk, null!, off.Address, image, concurrency, Math.Max(3, seconds / 2));
            await ServingBenchmark.MeasureLoadAsync(wrk, null!, on.Address, image, concurrency, Math.Max(3, seconds / 2));

            var results = new List<(double Off, double On, double CpuOff, double CpuOn)>();
            var failed = 0;
            for (var round = 1; round <= rounds; round++)
            {
                // Alternate the order: A B, B A, ...
                var first = round % 2 == 1 ? off : on;
                var second = first == off ? on : off;
                var a = await PhaseAsync(wrk, first, image, concurrency, seconds);
                var b = await PhaseAsync(wrk, second, image, concurrency, seconds);
                var (offPhase, onPhase) = first == off ? (a, b) : (b, a);
                failed += offPhase.Failed + onPhase.Failed;
                results.Add((offPhase.ImagesPerSecond, onPhase.ImagesPerSecond, offPhase.CpuMsPerImage, onPhase.CpuMsPerImage));
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"round {round}: rate 0 {offPhase.ImagesPerSecond:F2} img/s ({offPhase.CpuMsPerImage:F1} CPU-ms/img) | rate {logRate} {onPhase.ImagesPerSecond:F2} img/s ({onPhase.CpuMsPerImage:F1} CPU-ms/img) " +
                    $"| throughput ratio {onPhase.ImagesPerSecond / offPhase.ImagesPerSecond:F3}, CPU ratio {offPhase.CpuMsPerImage / onPhase.CpuMsPerImage:F3} | load {ServingBenchmark.LoadAverage()}"));
            }

            var logged = Directory.Exists(Path.Combine(work, "home", "objects", PredictionLogLayout.Bucket))
                ? Directory.EnumerateFiles(Path.Combine(work, "home", "objects", PredictionLogLayout.Bucket), "*.json", SearchOption.AllDirectories).Count()
                : 0;
            double Median(Func<(double Off, double On, double CpuOff, double CpuOn), double> f) => results.Select(f).Order().ElementAt(results.Count / 2);
            Console.WriteLine();
            Console.WriteLine($"| measure (median of rounds) | rate 0 | rate {logRate} | ratio (target ≥ 0.95) |");
            Console.WriteLine("|---|---|---|---|");
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"| /predict throughput, {concurrency} wrk clients | {Median(r => r.Off):F2} img/s | {Median(r => r.On):F2} img/s | {Median(r => r.On / r.Off):F3} (rounds {string.Join(", ", results.Select(r => (r.On / r.Off).ToString("F2", CultureInfo.InvariantCulture)))}) |"));
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"| server CPU per image | {Median(r => r.CpuOff):F1} ms | {Median(r => r.CpuOn):F1} ms | {Median(r => r.CpuOff / r.CpuOn):F3} |"));
            using var client = new HttpClient { BaseAddress = on.Address };
            var dropped = (await client.GetStringAsync("/metrics")).Split('\n')
                .Where(l => l.StartsWith("drywet_prediction_log_dropped_total{", StringComparison.Ordinal))
                .Sum(l => double.Parse(l[(l.LastIndexOf('}') + 1)..].Trim().Split(' ')[0], CultureInfo.InvariantCulture));
            Console.WriteLine($"Logged records: {logged}, dropped: {dropped}; failed requests: {failed}; load average at end: {ServingBenchmark.LoadAverage()}");
            return failed == 0 ? 0 : 1;
        }
        finally
        {
            Directory.Delete(work, recursive: true);
        }
    }

    private static async Task<(double ImagesPerSecond, double CpuMsPerImage, int Failed)> PhaseAsync(WrkLoad wrk, ServiceProcess server,
        byte[] image, int concurrency, int seconds)
    {
        var cpuBefore = ServingBenchmark.CpuTime(server.Process);
        var (throughput, failed, served) = await ServingBenchmark.MeasureLoadAsync(wrk, null!, server.Address, image, concurrency, seconds);
        return (throughput, (ServingBenchmark.CpuTime(server.Process) - cpuBefore) / Math.Max(1, served), failed);
    }
}

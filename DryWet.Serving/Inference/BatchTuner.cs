using System.Diagnostics;
using System.Security.Cryptography;
using Microsoft.Extensions.Options;
using Microsoft.ML.OnnxRuntime;

namespace DryWet.Serving.Inference;

/// <summary>
/// Measures a freshly loaded model's run time per batch size on this machine and hands the table to
/// <see cref="BatchPlanner"/>; then warms the session up at the chosen sizes, largest first, so ONNX Runtime's arena
/// reaches the size the chosen batches need at load instead of growing under traffic. Every run goes through the
/// <see cref="InferenceRunner"/>'s background lane: under traffic, tuning takes turns with live batches.
/// <para>
/// Bounded: sizes 1, 2, 4, … while a batch's input stays within <see cref="MaxInputBytes"/>, 1 + <see cref="TimedRuns"/>
/// runs each, stopping at the first size past the latency objective, after two sizes without a throughput gain, or
/// when <c>Model:BatchTuningBudget</c> is spent. A model already tuned in this process (same ONNX bytes, provider and
/// thread settings) reuses its table, refined by live runs since; only the warm-up runs again. Run times come from
/// <see cref="IBatchTimer"/>.
/// </para>
/// </summary>
internal sealed class BatchTuner(InferenceRunner runner, IBatchTimer timer, IOptions<ServingOptions> servingOptions,
    ILogger<BatchTuner> logger)
{
    public const int TimedRuns = 3;
    public const long MaxInputBytes = 32L * 1024 * 1024;
    private const int RememberedModels = 8;

    private readonly object _lock = new();
    private readonly Dictionary<string, BatchLatencyTable> _tables = [];
    private readonly Queue<string> _order = new();

    public async Task<BatchTuning> TuneAsync(OnnxClassifier classifier, ModelOptions options, string onnxPath, int height, int width, int classes, string modelVersion)
    {
        var started = Stopwatch.GetTimestamp();
        var (key, settings, table, source, ran) = await TableAsync(classifier, options, onnxPath, height, width, classes);
        var measuredIn = Stopwatch.GetElapsedTime(started);
        var tuning = new BatchTuning(table, settings, source, modelVersion, refined => Remember(key, refined), logger);
        await WarmUpAsync(classifier, height, width, classes, tuning.Plan.MaxBatchSize, ran, options.BatchTuningBudget - measuredIn);
        logger.LogInformation(
            "Batch plan of model version {Version}: {Plan}; run time per batch size {Table} ({Source}, {Seconds:F2} s with warm-up).",
            modelVersion, tuning.Plan, table, source == TableSources.Reused ? "reused: same graph as an earlier load or precision check" : "measured now",
            Stopwatch.GetElapsedTime(started).TotalSeconds);
        return tuning;
    }

    /// <summary>
    /// The plan this graph would be served with, from the same table <see cref="TuneAsync"/> uses (measured within
    /// <c>Model:BatchTuningBudget</c>, or remembered), without warming up: a later <see cref="TuneAsync"/> of the same
    /// graph reuses the table. <see cref="Int8SpeedCheck"/> compares INT8 and fp32 with it.
    /// </summary>
    public async Task<BatchPlan> PlanAsync(OnnxClassifier classifier, ModelOptions options, string onnxPath, int height, int width, int classes)
    {
        var (_, settings, table, source, _) = await TableAsync(classifier, options, onnxPath, height, width, classes);
        var plan = BatchPlanner.Choose(table, settings);
        logger.LogInformation("Batch plan of {Path} for the precision check: {Plan}; run time per batch size {Table} ({Source}).",
            onnxPath, plan, table, source == TableSources.Reused ? "reused" : "measured now");
        return plan;
    }

    private async Task<(string Key, BatchPlanner.Settings Settings, BatchLatencyTable Table, string Source, HashSet<int> Ran)> TableAsync(
        OnnxClassifier classifier, ModelOptions options, string onnxPath, int height, int width, int classes)
    {
        var settings = new BatchPlanner.Settings(options.MaxBatchSize, options.MaxBatchDelay,
            servingOptions.Value.LatencyObjective, classifier.FixedBatch);
        var key = await ModelKeyAsync(onnxPath, classifier, options);
        var ran = new HashSet<int>();
        var (table, source) = Remembered(key) is { } known
            ? (known, TableSources.Reused)
            : (await MeasureAsync(classifier, height, width, classes, settings, options.BatchTuningBudget, ran), TableSources.Measured);
        Remember(key, table);
        return (key, settings, table, source, ran);
    }

    /// <summary>The sizes to measure: the graph's fixed batch only; 1 and a configured size; else powers of two within the input cap.</summary>
    internal static IReadOnlyList<int> Candidates(BatchPlanner.Settings settings, int imageFloats)
    {
        if (settings.FixedBatch is { } fixedBatch)
        {
            return [fixedBatch];
        }

        if (settings.MaxBatchSize is { } configured)
        {
            var size = Math.Clamp(configured, 1, BatchPlanner.MaxBatchLimit);
            return size == 1 ? [1] : [1, size];
        }

        var largest = (int)Math.Clamp(MaxInputBytes / (4L * imageFloats), 1, BatchPlanner.MaxBatchLimit);
        var sizes = new List<int>();
        for (var b = 1; b <= largest; b *= 2)
        {
            sizes.Add(b);
        }

        return sizes;
    }

    private async Task<BatchLatencyTable> MeasureAsync(OnnxClassifier classifier, int height, int width, int classes,
        BatchPlanner.Settings settings, TimeSpan budget, HashSet<int> ran)
    {
        var started = Stopwatch.GetTimestamp();
        var measured = new SortedDictionary<int, double>();
        var bestRate = 0.0;
        var sizesWithoutGain = 0;
        foreach (var size in Candidates(settings, 3 * height * width))
        {
            double seconds;
            try
            {
                seconds = await timer.TimeAsync(classifier, height, width, classes, size, 1 + TimedRuns);
            }
            catch (Exception ex) when (size > 1 && ex is OnnxRuntimeException)
            {
                // A graph that declares a dynamic batch but cannot run this one: serve the sizes that ran.
                logger.LogWarning("A batch of {Size} failed in ONNX Runtime while tuning, so larger batches are not measured: {Reason}",
                    size, ex.Message.Split('\n')[0]);
                break;
            }

            ran.Add(size);
            measured[size] = seconds;
            var table = new BatchLatencyTable(measured);
            var objective = settings.LatencyObjective ?? BatchPlanner.DefaultObjective(table);
            var rate = size / seconds;
            sizesWithoutGain = rate > bestRate * 1.03 ? 0 : sizesWithoutGain + 1;
            bestRate = Math.Max(bestRate, rate);
            if (Stopwatch.GetElapsedTime(started) >= budget || 2 * seconds > objective.TotalSeconds || sizesWithoutGain >= 2)
            {
                break;
            }
        }

        return new BatchLatencyTable(measured);
    }

    /// <summary>
    /// One run at the chosen size (shrinking the arena afterwards when tuning ran larger batches: they are not served),
    /// then every smaller size not run yet, largest first, for up to four runs' time of the chosen size (and within the
    /// budget); size 1 always. The largest batch needs the most arena; smaller ones reuse its blocks.
    /// </summary>
    private async Task WarmUpAsync(OnnxClassifier classifier, int height, int width, int classes, int chosen, HashSet<int> ran, TimeSpan budget)
    {
        using var buffers = classifier.CreateBuffers(chosen, height, width, classes);
        buffers.Input.AsSpan().Fill(0.5f);
        var shrink = ran.Any(size => size > chosen);
        var started = Stopwatch.GetTimestamp();
        try
        {
            await runner.RunAsync(() => classifier.Run(buffers, chosen, shrinkArena: shrink), InferencePriority.Background);
        }
        catch (OnnxRuntimeException ex) when (chosen > 1)
        {
            // Only a configured size can fail here (tuned ones ran): it stays (explicit settings win); its batches will fail alike.
            logger.LogWarning("Warming up batches of {Size} failed in ONNX Runtime: {Reason}", chosen, ex.Message.Split('\n')[0]);
            return;
        }

        if (classifier.FixedBatch is not null)
        {
            return;
        }

        var fourRuns = 4 * Stopwatch.GetElapsedTime(started);
        budget = budget < fourRuns ? budget : fourRuns;
        started = Stopwatch.GetTimestamp();

        for (var size = chosen - 1; size >= 1; size--)
        {
            if (ran.Contains(size) || (size > 1 && Stopwatch.GetElapsedTime(started) >= budget))
            {
                continue;
            }

            var count = size;
            await runner.RunAsync(() => classifier.Run(buffers, count), InferencePriority.Background);
        }
    }

    private static async Task<string> ModelKeyAsync(string onnxPath, OnnxClassifier classifier, ModelOptions options)
    {
        await using var file = File.OpenRead(onnxPath);
        var hash = Convert.ToHexString(await SHA256.HashDataAsync(file));
        return $"{hash}|{classifier.ExecutionProvider}|{options.IntraOpThreads}|{options.InterOpThreads}|{options.ConcurrentRuns}|{options.AllowSpinning}|{options.MemoryPattern}|{options.CpuMemoryArena}";
    }

    private BatchLatencyTable? Remembered(string key)
    {
        lock (_lock)
        {
            return _tables.GetValueOrDefault(key);
        }
    }

    private void Remember(string key, BatchLatencyTable table)
    {
        lock (_lock)
        {
            if (!_tables.ContainsKey(key))
            {
                _order.Enqueue(key);
                if (_order.Count > RememberedModels)
                {
                    _tables.Remove(_order.Dequeue());
                }
            }

            _tables[key] = table;
        }
    }
}

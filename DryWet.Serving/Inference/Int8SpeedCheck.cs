using System.Globalization;
using System.Security.Cryptography;
using DryWet.Core.Packaging;
using Microsoft.Extensions.Options;

namespace DryWet.Serving.Inference;

/// <summary>
/// Settles <c>Model:Precision auto</c> for a package whose INT8 graph the gate vouched for: INT8 is served only when it
/// is also clearly faster on this machine. Both graphs get the batch tuner's load-time plan (same batch sizes, same
/// <c>Model:BatchTuningBudget</c>, <see cref="BatchTuner.PlanAsync"/>) one after the other, each session disposed
/// before the next is created; INT8 wins when its throughput at its chosen batch is at least <see cref="MinSpeedup"/>
/// times fp32's at fp32's. An INT8 graph without fast integer kernels (no AVX-512 VNNI / AVX-VNNI, e.g. an AVX2-only CPU)
/// runs its quantize/dequantize pairs in float and is slower than fp32 there. The decision, with both throughputs in
/// its reason, is remembered per pair of graphs and settings, so a reload of an unchanged package times nothing.
/// </summary>
internal sealed class Int8SpeedCheck(IOptions<ServingOptions> servingOptions, ILogger<Int8SpeedCheck> logger)
{
    /// <summary>
    /// INT8 must serve at least this many times fp32's images per second. Not 1.0: the plans come from medians of a few
    /// runs per size taken while the machine may serve traffic, so a few percent either way is noise; and INT8 costs
    /// accuracy (within the gate's <c>evaluation.max_quantization_drop</c>), worth paying only for a clear gain.
    /// </summary>
    public const double MinSpeedup = 1.10;

    private const int RememberedPackages = 8;
    private readonly object _lock = new();
    private readonly Dictionary<string, PrecisionChoice> _decisions = [];
    private readonly Queue<string> _order = new();

    /// <summary>
    /// One check at a time: two loads of the same graphs at once (a reload and an A/A shadow's refresh)
    /// get the one decision the first made, and two checks never time their runs against each other.
    /// </summary>
    private readonly SemaphoreSlim _checking = new(1, 1);

    /// <summary>
    /// The final choice: <paramref name="candidate"/> itself unless it <see cref="PrecisionChoice.NeedsSpeedCheck"/>;
    /// then INT8 or fp32 from <paramref name="planOf"/>'s plans (a remembered decision when these graphs were compared before).
    /// </summary>
    /// <param name="planOf">The batch plan of the graph at a path, from the tuner's load-time timing; called for fp32, then INT8.</param>
    public async Task<PrecisionChoice> ChooseAsync(PrecisionChoice candidate, ModelPackage package, ModelOptions options,
        Func<string, Task<BatchPlan>> planOf)
    {
        if (!candidate.NeedsSpeedCheck)
        {
            return candidate;
        }

        var key = await KeyAsync(package.OnnxPath, candidate.OnnxPath, options);
        await _checking.WaitAsync();
        try
        {
            lock (_lock)
            {
                if (_decisions.TryGetValue(key, out var known))
                {
                    logger.LogInformation("Precision of {Package}: {Reason} (decided at an earlier load of the same graphs).", package.Directory, known.Reason);
                    return known;
                }
            }

            var fp32 = await planOf(package.OnnxPath);
            var int8 = await planOf(candidate.OnnxPath);
            var choice = Decide(candidate, package.OnnxPath, int8, fp32);
            Remember(key, choice);
            return choice;
        }
        finally
        {
            _checking.Release();
        }
    }

    /// <summary>INT8 when its expected throughput is at least <see cref="MinSpeedup"/> × fp32's; the reason names both.</summary>
    public static PrecisionChoice Decide(PrecisionChoice candidate, string fp32Path, BatchPlan int8, BatchPlan fp32)
    {
        var ratio = int8.ExpectedImagesPerSecond / fp32.ExpectedImagesPerSecond;
        var rates = int8.MaxBatchSize == fp32.MaxBatchSize
            ? Invariant($"{int8.ExpectedImagesPerSecond:0.0} vs {fp32.ExpectedImagesPerSecond:0.0} img/s at batch {int8.MaxBatchSize}")
            : Invariant($"{int8.ExpectedImagesPerSecond:0.0} img/s at batch {int8.MaxBatchSize} vs {fp32.ExpectedImagesPerSecond:0.0} img/s at batch {fp32.MaxBatchSize}");
        return ratio >= MinSpeedup
            ? new(ModelPrecision.Int8, candidate.OnnxPath,
                Invariant($"auto: INT8 vouched for by the promotion gate and {ratio:0.00}x fp32 on this machine ({rates}): serving int8"))
            : new(ModelPrecision.Fp32, fp32Path,
                Invariant($"auto: INT8 vouched for by the promotion gate but {ratio:0.00}x fp32 on this machine ({rates}; int8 needs {MinSpeedup:0.00}x): serving fp32"));
    }

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);

    /// <summary>Both graphs' bytes and every setting that changes their run times or plans.</summary>
    private async Task<string> KeyAsync(string fp32Path, string int8Path, ModelOptions options)
    {
        var hashes = new List<string>();
        foreach (var path in new[] { fp32Path, int8Path })
        {
            await using var file = File.OpenRead(path);
            hashes.Add(Convert.ToHexString(await SHA256.HashDataAsync(file)));
        }

        return string.Join('|', hashes[0], hashes[1], options.ExecutionProvider, options.CudaDeviceId, options.IntraOpThreads, options.InterOpThreads,
            options.ConcurrentRuns, options.AllowSpinning, options.MemoryPattern, options.CpuMemoryArena, options.MaxBatchSize,
            options.MaxBatchDelayMilliseconds, servingOptions.Value.LatencyObjectiveMs, options.BatchTuningBudget);
    }

    private void Remember(string key, PrecisionChoice choice)
    {
        lock (_lock)
        {
            if (_decisions.TryAdd(key, choice))
            {
                _order.Enqueue(key);
                if (_order.Count > RememberedPackages)
                {
                    _decisions.Remove(_order.Dequeue());
                }
            }
        }
    }
}

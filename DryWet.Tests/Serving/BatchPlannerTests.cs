using DryWet.Serving.Inference;
using Microsoft.Extensions.Logging.Abstractions;

namespace DryWet.Tests.Serving;

/// <summary>
/// The batcher's choice from a latency table (injected, never timed): the most images per second whose batching
/// share (the batch before, the delay, its own batch = delay + 2 × L(b)) stays within the objective; the smallest size
/// within 3 % of the best; a delay only when batching pays; explicit settings win.
/// </summary>
public sealed class BatchPlannerTests
{
    private static readonly BatchPlanner.Settings Nothing = new(null, null, null, null);

    /// <summary>L(b) = fixed + perImage × b at sizes 1, 2, 4, … 64 (milliseconds).</summary>
    private static BatchLatencyTable Table(double fixedMs, double perImageMs, int largest = 64)
    {
        var sizes = new List<KeyValuePair<int, double>>();
        for (var b = 1; b <= largest; b *= 2)
        {
            sizes.Add(KeyValuePair.Create(b, (fixedMs + perImageMs * b) / 1000));
        }

        return new BatchLatencyTable(sizes);
    }

    [Fact]
    public void A_model_whose_cost_grows_with_every_image_runs_single_images_without_waiting()
    {
        // EfficientNet-B3 on 2 cores: a batch of 8 is barely faster per image than single images.
        var plan = BatchPlanner.Choose(Table(fixedMs: 0.3, perImageMs: 28), Nothing);

        plan.MaxBatchSize.ShouldBe(1);
        plan.MaxBatchDelay.ShouldBe(TimeSpan.Zero);
        plan.LatencyObjective.TotalMilliseconds.ShouldBe(4 * 28.3, 1e-9); // the default: 4 × L(1)
        plan.MaxBatchSizeSource.ShouldBe(BatchPlanSources.Tuned);
        plan.MaxBatchDelaySource.ShouldBe(BatchPlanSources.Tuned);
        plan.LatencyObjectiveSource.ShouldBe(BatchPlanSources.Tuned);
        plan.ExpectedImagesPerSecond.ShouldBe(1000 / 28.3, 1e-6);
    }

    [Fact]
    public void A_model_that_batches_well_gets_the_largest_batch_within_the_objective_and_a_short_delay()
    {
        // L(b) = 1 ms + 0.1 ms × b; default objective max(4 × 1.1 ms, 10 ms) = 10 ms, so 2 × L(b) ≤ 10 ms: b ≤ 40.
        var plan = BatchPlanner.Choose(Table(fixedMs: 1, perImageMs: 0.1), Nothing);

        plan.LatencyObjective.ShouldBe(BatchPlanner.MinimumDefaultObjective);
        plan.MaxBatchSize.ShouldBe(32);
        plan.MaxBatchDelay.ShouldBe(TimeSpan.FromMicroseconds(550)); // half a single-image run: less than the 1.6 ms the objective leaves
    }

    [Fact]
    public void A_configured_objective_bounds_the_batch_and_the_delay()
    {
        var plan = BatchPlanner.Choose(Table(fixedMs: 1, perImageMs: 0.1), new BatchPlanner.Settings(null, null, TimeSpan.FromMilliseconds(5), null));

        plan.MaxBatchSize.ShouldBe(8); // L(8) = 1.8 ms fits 2.5 ms; L(16) = 2.6 ms does not
        plan.MaxBatchDelay.ShouldBe(TimeSpan.FromMicroseconds(550));
        plan.LatencyObjectiveSource.ShouldBe(BatchPlanSources.Configured);

        var tight = BatchPlanner.Choose(Table(fixedMs: 1, perImageMs: 0.1), new BatchPlanner.Settings(null, null, TimeSpan.FromMilliseconds(3), null));
        tight.MaxBatchSize.ShouldBe(4); // L(4) = 1.4 ms: 2.8 ms of 3
        tight.MaxBatchDelay.ShouldBe(TimeSpan.FromMicroseconds(200)); // what the objective leaves, less than half a single run
    }

    [Fact]
    public void The_delay_never_takes_the_batch_past_the_objective()
    {
        // Half a single run (5 ms) would be more than the 1 ms the objective leaves beside 2 × L(8).
        var table = new BatchLatencyTable([KeyValuePair.Create(1, 0.010), KeyValuePair.Create(8, 0.0195)]);
        var plan = BatchPlanner.Choose(table, new BatchPlanner.Settings(null, null, TimeSpan.FromMilliseconds(40), null));

        plan.MaxBatchSize.ShouldBe(8);
        plan.MaxBatchDelay.ShouldBe(TimeSpan.FromMilliseconds(1));
    }

    [Fact]
    public void Among_sizes_within_three_percent_of_the_best_throughput_the_smallest_wins()
    {
        var table = new BatchLatencyTable([
            KeyValuePair.Create(1, 0.010), KeyValuePair.Create(2, 0.0101), KeyValuePair.Create(4, 0.0200), KeyValuePair.Create(8, 0.0395)]);
        var plan = BatchPlanner.Choose(table, new BatchPlanner.Settings(null, null, TimeSpan.FromSeconds(1), null));

        // 2 → 198 img/s, 4 → 200, 8 → 202.5: all within 3 % of the best, so 2.
        plan.MaxBatchSize.ShouldBe(2);
    }

    [Fact]
    public void When_no_size_meets_the_objective_single_images_run()
    {
        var plan = BatchPlanner.Choose(Table(fixedMs: 0, perImageMs: 30), new BatchPlanner.Settings(null, null, TimeSpan.FromMilliseconds(20), null));

        plan.MaxBatchSize.ShouldBe(1);
        plan.MaxBatchDelay.ShouldBe(TimeSpan.Zero);
    }

    [Fact]
    public void Explicit_settings_win_and_say_so()
    {
        var plan = BatchPlanner.Choose(Table(fixedMs: 1, perImageMs: 0.1),
            new BatchPlanner.Settings(MaxBatchSize: 3, MaxBatchDelay: TimeSpan.FromMilliseconds(7), LatencyObjective: null, FixedBatch: null));

        plan.MaxBatchSize.ShouldBe(3);
        plan.MaxBatchDelay.ShouldBe(TimeSpan.FromMilliseconds(7));
        plan.MaxBatchSizeSource.ShouldBe(BatchPlanSources.Configured);
        plan.MaxBatchDelaySource.ShouldBe(BatchPlanSources.Configured);
        plan.ExpectedImagesPerSecond.ShouldBe(3 / 0.0013, 1e-6); // L(3) interpolated between L(2) and L(4)

        var sizeOnly = BatchPlanner.Choose(Table(fixedMs: 1, perImageMs: 0.1), new BatchPlanner.Settings(16, null, null, null));
        sizeOnly.MaxBatchSize.ShouldBe(16);
        sizeOnly.MaxBatchDelaySource.ShouldBe(BatchPlanSources.Tuned);
    }

    [Fact]
    public void A_graph_with_a_fixed_batch_runs_that_batch()
    {
        var table = new BatchLatencyTable([KeyValuePair.Create(4, 0.040)]);
        var plan = BatchPlanner.Choose(table, new BatchPlanner.Settings(MaxBatchSize: 16, null, null, FixedBatch: 4));

        plan.MaxBatchSize.ShouldBe(4);
        plan.MaxBatchSizeSource.ShouldBe(BatchPlanSources.FixedByModel);
        plan.LatencyObjective.TotalMilliseconds.ShouldBe(40, 1e-9); // L(1) extrapolated per image: 10 ms
    }

    [Fact]
    public void The_sizes_measured_at_load_are_powers_of_two_within_the_input_cap_or_the_configured_or_fixed_size()
    {
        BatchTuner.Candidates(Nothing, 3 * 300 * 300).ShouldBe([1, 2, 4, 8, 16]); // 16 × 1.08 MB ≤ 32 MiB < 32 × 1.08 MB
        BatchTuner.Candidates(Nothing, 3 * 16 * 16).ShouldBe([1, 2, 4, 8, 16, 32, 64, 128, 256]);
        BatchTuner.Candidates(new BatchPlanner.Settings(5, null, null, null), 3 * 16 * 16).ShouldBe([1, 5]);
        BatchTuner.Candidates(new BatchPlanner.Settings(5, null, null, 2), 3 * 16 * 16).ShouldBe([2]);
    }

    [Fact]
    public void Live_run_times_that_differ_from_the_load_change_the_plan_and_are_remembered_for_a_reload()
    {
        BatchLatencyTable? remembered = null;
        var tuning = new BatchTuning(Table(fixedMs: 1, perImageMs: 0.1), Nothing, TableSources.Measured, "v1", t => remembered = t, NullLogger.Instance);
        tuning.Plan.MaxBatchSize.ShouldBe(32);

        // Under traffic batches of 32 take 9 ms (decodes share the cores): past the 10 ms objective's 5 ms.
        var changed = tuning.Recheck([KeyValuePair.Create(32, 0.009), KeyValuePair.Create(16, 0.0025)]);

        changed.ShouldNotBeNull();
        changed.MaxBatchSize.ShouldBe(16);
        tuning.Plan.ShouldBe(changed);
        tuning.TableSource.ShouldBe(TableSources.Live);
        remembered.ShouldNotBeNull();
        remembered.SecondsAt(32).ShouldBe(0.009);

        // The same times again: nothing changes.
        tuning.Recheck([KeyValuePair.Create(32, 0.009)]).ShouldBeNull();
    }

    [Fact]
    public void A_fully_configured_plan_is_never_rechecked()
    {
        var tuning = new BatchTuning(Table(fixedMs: 1, perImageMs: 0.1), new BatchPlanner.Settings(4, TimeSpan.Zero, null, null),
            TableSources.Measured, "v1", _ => throw new InvalidOperationException("nothing to remember"), NullLogger.Instance);

        tuning.Recheck([KeyValuePair.Create(4, 0.5)]).ShouldBeNull();
        tuning.Plan.MaxBatchSize.ShouldBe(4);
    }

    [Fact]
    public void A_table_refuses_latencies_that_are_not_positive()
    {
        Should.Throw<ArgumentOutOfRangeException>(() => new BatchLatencyTable([KeyValuePair.Create(1, 0.0)]));
        Should.Throw<ArgumentOutOfRangeException>(() => new BatchLatencyTable([KeyValuePair.Create(0, 0.01)]));
        Should.Throw<ArgumentException>(() => BatchPlanner.Choose(new BatchLatencyTable([]), Nothing));
    }
}

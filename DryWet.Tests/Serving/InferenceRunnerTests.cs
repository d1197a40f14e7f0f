using DryWet.Serving.Inference;
using Microsoft.Extensions.Logging.Abstractions;

namespace DryWet.Tests.Serving;

/// <summary>
/// The dedicated inference threads: live work goes before background work (a model being loaded, a shadow), background
/// work still runs under endless live work, a failing piece of work does not stop the thread, and inference never
/// runs on the thread pool.
/// </summary>
public sealed class InferenceRunnerTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Live_work_queued_after_background_work_runs_first()
    {
        using var runner = new InferenceRunner(1, NullLogger<InferenceRunner>.Instance);
        using var gate = new ManualResetEventSlim(false);
        var order = new List<string>();
        var blocking = runner.RunAsync(() => gate.Wait(TimeSpan.FromSeconds(30)), InferencePriority.Live);
        var background = runner.RunAsync(() => { lock (order) { order.Add("background"); } return 0; }, InferencePriority.Background);
        var live = runner.RunAsync(() => { lock (order) { order.Add("live"); } return 0; }, InferencePriority.Live);

        gate.Set();
        await Task.WhenAll(blocking, background, live).WaitAsync(TimeSpan.FromSeconds(30), Ct);

        order.ShouldBe(["live", "background"]);
    }

    [Fact]
    public async Task Background_work_runs_even_while_live_work_never_stops()
    {
        using var runner = new InferenceRunner(1, NullLogger<InferenceRunner>.Instance);
        var backgroundDone = 0;
        var liveRuns = 0;
        void Live()
        {
            Thread.Sleep(5);
            Interlocked.Increment(ref liveRuns);
            if (Volatile.Read(ref backgroundDone) == 0 && Volatile.Read(ref liveRuns) < 2000)
            {
                runner.Post(Live, InferencePriority.Live);
                runner.Post(() => { }, InferencePriority.Live); // always more live work waiting than running
            }
        }

        runner.Post(Live, InferencePriority.Live);
        var background = runner.RunAsync(() => Interlocked.Exchange(ref backgroundDone, 1), InferencePriority.Background);

        await background.WaitAsync(TimeSpan.FromSeconds(60), Ct);
        Volatile.Read(ref liveRuns).ShouldBeLessThan(2000, "background work must not wait for the live lane to run dry");
    }

    [Fact]
    public async Task Work_runs_on_a_dedicated_thread_and_a_failure_does_not_stop_it()
    {
        using var runner = new InferenceRunner(1, NullLogger<InferenceRunner>.Instance);
        var failed = runner.RunAsync<int>(() => throw new InvalidOperationException("broken"), InferencePriority.Live);
        runner.Post(() => throw new InvalidOperationException("escapes its work item"), InferencePriority.Live);
        var (pooled, name) = await runner.RunAsync(() => (Thread.CurrentThread.IsThreadPoolThread, Thread.CurrentThread.Name), InferencePriority.Live)
            .WaitAsync(TimeSpan.FromSeconds(30), Ct);

        (await Should.ThrowAsync<InvalidOperationException>(() => failed)).Message.ShouldBe("broken");
        pooled.ShouldBeFalse();
        name.ShouldBe("drywet-inference-0");
    }
}

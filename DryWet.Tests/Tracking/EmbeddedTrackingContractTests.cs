using Microsoft.Extensions.Hosting;

namespace DryWet.Tests.Tracking;

/// <summary>The tracking/registry contract on the embedded (files under DryWet:Home) adapters.</summary>
public sealed class EmbeddedTrackingContractTests : TrackingContractTests
{
    protected override Task<IHost> CreateHostAsync() => Task.FromResult(PlatformHost.Build(Home));

    [Fact]
    public async Task Runs_are_stored_in_MLflow_FileStore_layout_under_DryWet_Home()
    {
        await using var run = await Tracker.StartRunAsync("layout-exp", "layout", cancellationToken: TestContext.Current.CancellationToken);
        await run.LogParamsAsync(new Dictionary<string, string> { ["lr"] = "0.001" }, TestContext.Current.CancellationToken);
        await run.LogMetricsAsync([new("val_acc", 0.5, 3, DateTimeOffset.FromUnixTimeMilliseconds(1700000000000))], TestContext.Current.CancellationToken);
        await run.EndAsync(Core.Tracking.RunOutcome.Finished, TestContext.Current.CancellationToken);

        var runDir = Path.Combine(Home, "mlruns", run.ExperimentId, run.RunId);
        File.ReadAllText(Path.Combine(Home, "mlruns", run.ExperimentId, "meta.yaml")).ShouldContain("name: 'layout-exp'");
        File.ReadAllText(Path.Combine(runDir, "params", "lr")).ShouldBe("0.001");
        File.ReadAllText(Path.Combine(runDir, "metrics", "val_acc")).ShouldBe("1700000000000 0.5 3\n");
        File.ReadAllText(Path.Combine(runDir, "meta.yaml")).ShouldContain("status: 3");
        run.ArtifactUri.ShouldStartWith("file://");
    }
}

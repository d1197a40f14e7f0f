using DryWet.Core;
using DryWet.Core.Registry;
using DryWet.Core.Tracking;
using DryWet.Core.Tracking.Mlflow;
using DryWet.Tests.Storage;
using Microsoft.Extensions.DependencyInjection;

namespace DryWet.Tests.Tracking;

/// <summary>What happens when MLflow misbehaves during a run or a registration.</summary>
public sealed class TrackingFaultTests : IAsyncLifetime
{
    private readonly string _home = TestFolders.NewTempDirectory("faults");
    private FakeMlflowServer _server = null!;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync() => _server = await FakeMlflowServer.StartAsync();

    public async ValueTask DisposeAsync()
    {
        await _server.DisposeAsync();
        TestFolders.DeleteQuietly(_home);
    }

    [Fact]
    public async Task Tracking_server_down_mid_run_gives_a_clear_error_and_the_run_ends_FAILED_once_it_answers_again()
    {
        using var host = PlatformHost.Build(_home, _server.BaseAddress, maxRetries: 1);
        var tracker = host.Services.GetRequiredService<IExperimentTracker>();
        var run = await tracker.StartRunAsync("faults", cancellationToken: Ct);
        await run.LogMetricsAsync([MetricPoint.Now("train_loss", 1.0, 1)], Ct);

        _server.FailNextRequests(2, 503); // more than the retries allow
        var error = await Should.ThrowAsync<MlflowException>(() => run.LogMetricsAsync([MetricPoint.Now("train_loss", 0.5, 2)], Ct));
        await run.DisposeAsync(); // what `await using` does when training throws

        error.StatusCode.ShouldBe(503);
        error.Message.ShouldContain("runs/log-batch");
        (await host.Services.GetRequiredService<ITrackedRunReader>().GetRunAsync(run.RunId, Ct)).Status.ShouldBe("FAILED");
    }

    [Fact]
    public async Task Tracking_server_gone_mid_run_gives_an_unreachable_error_and_disposing_the_run_does_not_hide_it()
    {
        var server = await FakeMlflowServer.StartAsync();
        using var host = PlatformHost.Build(_home, server.BaseAddress, maxRetries: 1);
        var run = await host.Services.GetRequiredService<IExperimentTracker>().StartRunAsync("gone", cancellationToken: Ct);
        await server.DisposeAsync();

        var error = await Should.ThrowAsync<MlflowUnavailableException>(() => run.LogParamsAsync(new Dictionary<string, string> { ["epochs"] = "3" }, Ct));
        await run.DisposeAsync(); // logs that the run stays RUNNING; must not throw over the real error

        error.Message.ShouldContain(server.BaseAddress.Authority);
    }

    [Fact]
    public async Task A_version_that_fails_registration_is_deleted_and_the_error_says_why()
    {
        using var host = PlatformHost.Build(_home, _server.BaseAddress);
        var tracker = host.Services.GetRequiredService<IExperimentTracker>();
        var registry = host.Services.GetRequiredService<IModelRegistry>();
        await using var run = await tracker.StartRunAsync("reg-fail", cancellationToken: Ct);
        await run.LogModelAsync(ModelFixtures.WritePackage(Path.Combine(_home, "pkg"), "w"), cancellationToken: Ct);
        _server.FailRegistrationWith = "artifact store refused the copy";

        var error = await Should.ThrowAsync<DryWetException>(() => registry.RegisterAsync("dry_wet_model", run.ArtifactUri + "/model", run.RunId, cancellationToken: Ct));

        error.Message.ShouldContain("artifact store refused the copy");
        var client = host.Services.GetRequiredService<MlflowClient>();
        await Should.ThrowAsync<MlflowException>(() => client.GetModelVersionAsync("dry_wet_model", "1", Ct));
        (await client.GetLatestVersionsAsync("dry_wet_model", [], Ct)).ShouldBeEmpty();
    }

    [Fact]
    public async Task Registration_waits_while_the_version_is_PENDING_REGISTRATION()
    {
        _server.PendingPolls = 3;
        using var host = PlatformHost.Build(_home, _server.BaseAddress);
        await using var run = await host.Services.GetRequiredService<IExperimentTracker>().StartRunAsync("pending", cancellationToken: Ct);
        await run.LogModelAsync(ModelFixtures.WritePackage(Path.Combine(_home, "pkg"), "w"), cancellationToken: Ct);

        var version = await host.Services.GetRequiredService<IModelRegistry>().RegisterAsync("dry_wet_model", run.ArtifactUri + "/model", run.RunId, cancellationToken: Ct);

        version.Status.ShouldBe("READY");
        _server.Requests.Count(r => r.Path.EndsWith("/model-versions/get")).ShouldBe(4);
    }

    [Fact]
    public async Task Registering_a_runs_URI_is_refused_because_MLflow_cannot_resolve_it_for_non_Python_clients()
    {
        using var host = PlatformHost.Build(_home, _server.BaseAddress);

        var error = await Should.ThrowAsync<DryWetException>(() =>
            host.Services.GetRequiredService<IModelRegistry>().RegisterAsync("dry_wet_model", "runs:/abc/model", "abc", cancellationToken: Ct));

        error.Message.ShouldContain("runs:/abc/model");
    }
}

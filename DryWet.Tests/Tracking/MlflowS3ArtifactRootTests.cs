using DryWet.Core.Registry;
using DryWet.Core.Tracking;
using DryWet.Core.Tracking.Mlflow;
using DryWet.Tests.Storage;
using Microsoft.Extensions.DependencyInjection;

namespace DryWet.Tests.Tracking;

/// <summary>
/// MLflow's direct S3 mode: an experiment whose artifact root is s3://… (server run with --default-artifact-root
/// s3://… or an explicit artifact_location). DryWet then writes and reads artifacts in MinIO itself (here s3rver).
/// </summary>
public sealed class MlflowS3ArtifactRootTests(S3rverFixture s3) : IClassFixture<S3rverFixture>, IAsyncLifetime
{
    private readonly string _home = TestFolders.NewTempDirectory("s3-root");
    private FakeMlflowServer _mlflow = null!;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync() => _mlflow = await FakeMlflowServer.StartAsync();

    public async ValueTask DisposeAsync()
    {
        await _mlflow.DisposeAsync();
        TestFolders.DeleteQuietly(_home);
    }

    [Fact]
    public async Task Artifacts_of_an_s3_rooted_experiment_go_to_MinIO_and_a_registered_version_downloads_from_there()
    {
        using var host = PlatformHost.Build(_home, _mlflow.BaseAddress, s3.ConnectionString);
        var prefix = $"mlflow-{Guid.NewGuid():N}";
        await host.Services.GetRequiredService<MlflowClient>().CreateExperimentAsync("s3-exp", $"s3://ml-data/{prefix}", Ct);
        var tracker = host.Services.GetRequiredService<IExperimentTracker>();
        var registry = host.Services.GetRequiredService<IModelRegistry>();

        await using var run = await tracker.StartRunAsync("s3-exp", cancellationToken: Ct);
        await run.LogModelAsync(ModelFixtures.WritePackage(Path.Combine(_home, "pkg"), "s3-weights"), cancellationToken: Ct);
        await run.EndAsync(RunOutcome.Finished, Ct);
        var version = await registry.RegisterAsync("dry_wet_model", run.ArtifactUri + "/model", run.RunId, cancellationToken: Ct);
        var target = Path.Combine(_home, "download");
        await registry.DownloadAsync(version, target, Ct);

        run.ArtifactUri.ShouldBe($"s3://ml-data/{prefix}/{run.RunId}/artifacts");
        var keys = (await s3.CreateStore().ListAsync("ml-data", prefix + "/", Ct)).Select(o => o.Key).ToList();
        keys.ShouldContain($"{prefix}/{run.RunId}/artifacts/model/model.onnx");
        _mlflow.ArtifactPaths.ShouldBeEmpty(); // nothing went through the proxy
        File.ReadAllText(Path.Combine(target, "model.onnx")).ShouldBe("s3-weights");
    }
}

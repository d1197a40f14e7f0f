using DryWet.Core.Registry;
using DryWet.Tests.Storage;
using DryWet.Tests.Tracking;
using Microsoft.Extensions.DependencyInjection;

namespace DryWet.Tests.Registry;

/// <summary>
/// One contract for both registry adapters (embedded files; MLflow's REST registry, here its fake): listing every
/// version with its aliases and stage, newest first, as the web page's history shows them.
/// </summary>
public sealed class ModelRegistryContractTests : IDisposable
{
    private readonly string _home = TestFolders.NewTempDirectory("registry-contract");

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public static TheoryData<string> Adapters() => ["embedded", "mlflow"];

    [Theory]
    [MemberData(nameof(Adapters))]
    public async Task Every_version_is_listed_newest_first_with_its_aliases_and_stage(string adapter)
    {
        await using var mlflow = adapter == "mlflow" ? await FakeMlflowServer.StartAsync() : null;
        using var platform = PlatformHost.Build(_home, mlflow?.BaseAddress);
        var registry = platform.Services.GetRequiredService<IModelRegistry>();

        (await registry.ListVersionsAsync("dry_wet_model", Ct)).ShouldBeEmpty();
        for (var i = 1; i <= 3; i++)
        {
            await RegistryTestModels.LogAndRegisterAsync(platform, Path.Combine(_home, "work"), 4f, $"version {i}");
        }

        await registry.PromoteAsync("dry_wet_model", "2", cancellationToken: Ct);
        var versions = await registry.ListVersionsAsync("dry_wet_model", Ct);

        versions.Select(v => v.Version).ShouldBe(["3", "2", "1"]);
        versions.Select(v => v.Description).ShouldBe(["version 3", "version 2", "version 1"]);
        versions.Single(v => v.Version == "2").Aliases.ShouldBe(["production"]);
        versions.Single(v => v.Version == "2").CurrentStage.ShouldBe("Production");
        versions.Where(v => v.Version != "2").ShouldAllBe(v => v.Aliases.Count == 0 && v.CurrentStage == "None");
        versions.ShouldAllBe(v => v.RunId != null && v.Name == "dry_wet_model");
    }

    public void Dispose() => TestFolders.DeleteQuietly(_home);
}

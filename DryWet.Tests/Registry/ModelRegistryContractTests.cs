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

    [Theory]
    [MemberData(nameof(Adapters))]
    public async Task An_alias_moves_without_touching_stages_and_version_tags_merge(string adapter)
    {
        await using var mlflow = adapter == "mlflow" ? await FakeMlflowServer.StartAsync() : null;
        using var platform = PlatformHost.Build(_home, mlflow?.BaseAddress);
        var registry = platform.Services.GetRequiredService<IModelRegistry>();
        for (var i = 1; i <= 2; i++)
        {
            await RegistryTestModels.LogAndRegisterAsync(platform, Path.Combine(_home, "work"), 4f, $"version {i}");
        }

        await registry.PromoteAsync("dry_wet_model", "1", cancellationToken: Ct);
        var challenger = await registry.SetAliasAsync("dry_wet_model", "challenger", "2", Ct);
        await registry.SetVersionTagsAsync("dry_wet_model", "2", new Dictionary<string, string> { ["drywet.promotion"] = "rejected", ["a"] = "1" }, Ct);
        await registry.SetVersionTagsAsync("dry_wet_model", "2", new Dictionary<string, string> { ["a"] = "2" }, Ct);

        challenger.Aliases.ShouldBe(["challenger"]);
        challenger.CurrentStage.ShouldBe("None");
        (await registry.ResolveAsync("dry_wet_model", cancellationToken: Ct))!.Version.ShouldBe("1");
        (await registry.ResolveAsync("dry_wet_model", "challenger", cancellationToken: Ct))!.Version.ShouldBe("2");
        var versions = await registry.ListVersionsAsync("dry_wet_model", Ct);
        versions.Single(v => v.Version == "2").Tags.ShouldBe(new Dictionary<string, string> { ["a"] = "2", ["drywet.promotion"] = "rejected" }, ignoreOrder: true);
        versions.Single(v => v.Version == "1").Tags.ShouldBeEmpty();
        (await Should.ThrowAsync<Exception>(() => registry.SetAliasAsync("dry_wet_model", "challenger", "9", Ct))).Message.ShouldContain("9");
    }

    public void Dispose() => TestFolders.DeleteQuietly(_home);
}

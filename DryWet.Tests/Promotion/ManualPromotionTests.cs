using DryWet.Core;
using DryWet.Core.Registry;
using DryWet.Tests.Registry;
using DryWet.Tests.Storage;
using DryWet.Tests.Tracking;
using DryWet.TrainingWorker.Promotion;
using Microsoft.Extensions.DependencyInjection;

namespace DryWet.Tests.Promotion;

/// <summary><c>promote</c>: rollback to the previous production version or to any version, with the reason recorded, on both registries.</summary>
public sealed class ManualPromotionTests : IDisposable
{
    private const string Model = "dry_wet_model";
    private readonly string _home = TestFolders.NewTempDirectory("manual-promotion");

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public static TheoryData<string> Adapters() => ["embedded", "mlflow"];

    [Theory]
    [MemberData(nameof(Adapters))]
    public async Task Previous_rolls_back_to_the_last_version_that_served_skipping_rejected_challengers(string adapter)
    {
        await using var mlflow = adapter == "mlflow" ? await FakeMlflowServer.StartAsync() : null;
        using var platform = PlatformHost.Build(_home, mlflow?.BaseAddress);
        var registry = platform.Services.GetRequiredService<IModelRegistry>();
        for (var i = 1; i <= 4; i++)
        {
            await RegistryTestModels.LogAndRegisterAsync(platform, Path.Combine(_home, "work"), 4f, $"v{i}");
        }

        // v1 served, then v2; v3 was a rejected challenger; v4 serves now.
        await registry.PromoteAsync(Model, "1", cancellationToken: Ct);
        await registry.PromoteAsync(Model, "2", cancellationToken: Ct);
        await registry.SetAliasAsync(Model, "challenger", "3", Ct);
        await registry.PromoteAsync(Model, "4", cancellationToken: Ct);
        var promotion = new ManualPromotion(registry);

        var back = await promotion.PromoteAsync(Model, version: null, "v4 answers dry for wet photos", Ct);

        back.Version.ShouldBe("2");
        back.Aliases.ShouldContain("production");
        back.CurrentStage.ShouldBe("Production");
        var versions = await registry.ListVersionsAsync(Model, Ct);
        versions.Single(v => v.Version == "4").CurrentStage.ShouldBe("Archived");
        versions.Single(v => v.Version == "2").Tags[PromotionDecision.OutcomeTag].ShouldBe("rollback");
        versions.Single(v => v.Version == "2").Tags[PromotionDecision.ReasonTag].ShouldStartWith("v4 answers dry for wet photos (was v4, ");

        var forward = await promotion.PromoteAsync(Model, "4", "fixed upstream", Ct);
        forward.Version.ShouldBe("4");
        (await registry.ListVersionsAsync(Model, Ct)).Single(v => v.Version == "4").Tags[PromotionDecision.OutcomeTag].ShouldBe("manual");
    }

    [Fact]
    public async Task Bad_requests_name_what_is_wrong()
    {
        using var platform = PlatformHost.Build(_home);
        var registry = platform.Services.GetRequiredService<IModelRegistry>();
        var promotion = new ManualPromotion(registry);
        (await Should.ThrowAsync<DryWetException>(() => promotion.PromoteAsync(Model, "1", "why", Ct))).Message
            .ShouldContain("has no registered versions");

        await RegistryTestModels.LogAndRegisterAsync(platform, Path.Combine(_home, "work"), 4f);
        await RegistryTestModels.LogAndRegisterAsync(platform, Path.Combine(_home, "work"), 4f);
        (await Should.ThrowAsync<DryWetException>(() => promotion.PromoteAsync(Model, null, "why", Ct))).Message
            .ShouldContain("no production version to roll back from; pass --version N");
        (await Should.ThrowAsync<DryWetException>(() => promotion.PromoteAsync(Model, "7", "why", Ct))).Message
            .ShouldBe("Model 'dry_wet_model' has no version '7'; it has 1, 2.");
        (await Should.ThrowAsync<DryWetException>(() => promotion.PromoteAsync(Model, "1", " ", Ct))).Message
            .ShouldContain("--reason is empty");
        await promotion.PromoteAsync(Model, "1", "first", Ct);
        (await Should.ThrowAsync<DryWetException>(() => promotion.PromoteAsync(Model, "1", "again", Ct))).Message
            .ShouldBe("dry_wet_model v1 is already production.");
        (await Should.ThrowAsync<DryWetException>(() => promotion.PromoteAsync(Model, null, "back", Ct))).Message
            .ShouldContain("no earlier version has served before");
    }

    public void Dispose() => TestFolders.DeleteQuietly(_home);
}

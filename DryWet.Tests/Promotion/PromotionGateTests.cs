using DryWet.Core.Configuration;
using DryWet.Core.Registry;
using DryWet.Tests.Registry;
using DryWet.Tests.Serving;
using DryWet.Tests.Storage;
using DryWet.Tests.Tracking;
using DryWet.Tests.Training;
using DryWet.TrainingWorker.Promotion;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace DryWet.Tests.Promotion;

/// <summary>
/// The champion/challenger gate on real ONNX packages ("wet when blue outweighs red", k &gt; 0; inverted for k &lt; 0)
/// and real images, against both registry adapters: what it decides, and what it leaves in the registry.
/// </summary>
public sealed class PromotionGateTests : IDisposable
{
    private const string Model = "dry_wet_model";
    private readonly string _home = TestFolders.NewTempDirectory("gate");

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public static TheoryData<string> Adapters() => ["embedded", "mlflow"];

    [Theory]
    [MemberData(nameof(Adapters))]
    public async Task A_worse_challenger_is_rejected_as_challenger_and_a_better_one_replaces_the_champion(string adapter)
    {
        await using var mlflow = adapter == "mlflow" ? await FakeMlflowServer.StartAsync() : null;
        using var platform = PlatformHost.Build(_home, mlflow?.BaseAddress);
        var registry = platform.Services.GetRequiredService<IModelRegistry>();
        var gate = new PromotionGate(registry, new CollectingProgress());
        var evaluation = Images(dry: 3, wet: 2);

        var v1 = await RegisterAsync(platform, k: 4f);
        var first = await gate.ApplyAsync(Model, v1, await PackageAsync(registry, v1), evaluation, PromotionPolicy.Auto, new(), Work(), Ct);
        first.Outcome.ShouldBe(PromotionOutcome.First);
        first.Challenger.Overall.ShouldBe(1.0);

        var v2 = await RegisterAsync(platform, k: -4f);
        var rejected = await gate.ApplyAsync(Model, v2, await PackageAsync(registry, v2), evaluation, PromotionPolicy.Auto, new(), Work(), Ct);
        rejected.Outcome.ShouldBe(PromotionOutcome.Rejected);
        rejected.Challenger.Overall.ShouldBe(0.0);
        rejected.Champion!.Overall.ShouldBe(1.0);
        rejected.ChampionVersion.ShouldBe("1");
        rejected.Metrics()["challenger_accuracy_wet"].ShouldBe(0.0);
        rejected.Metrics()["champion_accuracy_dry"].ShouldBe(1.0);

        var versions = await registry.ListVersionsAsync(Model, Ct);
        (await registry.ResolveAsync(Model, cancellationToken: Ct))!.Version.ShouldBe("1");
        versions.Single(v => v.Version == "2").Aliases.ShouldBe(["challenger"]);
        versions.Single(v => v.Version == "2").CurrentStage.ShouldBe("None");
        versions.Single(v => v.Version == "2").Tags[PromotionDecision.OutcomeTag].ShouldBe("rejected");
        versions.Single(v => v.Version == "2").Tags[PromotionDecision.ReasonTag].ShouldContain("challenger 0.0000 vs champion v1 1.0000");
        versions.Single(v => v.Version == "1").Tags[PromotionDecision.OutcomeTag].ShouldBe("first");

        // As good as the champion (min_improvement 0): promoted; the old champion is archived.
        var v3 = await RegisterAsync(platform, k: 2f);
        var promoted = await gate.ApplyAsync(Model, v3, await PackageAsync(registry, v3), evaluation, PromotionPolicy.Auto, new(), Work(), Ct);
        promoted.Outcome.ShouldBe(PromotionOutcome.Promoted);
        var after = await registry.ListVersionsAsync(Model, Ct);
        after.Single(v => v.Version == "3").Aliases.ShouldBe(["production"]);
        after.Single(v => v.Version == "3").CurrentStage.ShouldBe("Production");
        after.Single(v => v.Version == "1").CurrentStage.ShouldBe("Archived");
    }

    [Theory]
    [MemberData(nameof(Adapters))]
    public async Task A_challenger_better_by_less_than_min_improvement_is_rejected_and_one_better_by_enough_is_promoted(string adapter)
    {
        await using var mlflow = adapter == "mlflow" ? await FakeMlflowServer.StartAsync() : null;
        using var platform = PlatformHost.Build(_home, mlflow?.BaseAddress);
        var registry = platform.Services.GetRequiredService<IModelRegistry>();
        var gate = new PromotionGate(registry, new CollectingProgress());
        var evaluation = Images(dry: 3, wet: 2);

        // A weak champion: always 'wet', right on 2 of 5 images (0.4); put in production with --promote always.
        var v1 = await RegisterAsync(platform, k: 0f, bias: [0f, 1f]);
        var champion = await gate.ApplyAsync(Model, v1, await PackageAsync(registry, v1), evaluation, PromotionPolicy.Always, new(), Work(), Ct);
        champion.Challenger.Overall.ShouldBe(0.4, tolerance: 1e-9);
        (await registry.ResolveAsync(Model, cancellationToken: Ct))!.Version.ShouldBe("1");

        // A perfect challenger gains 0.6: not enough when 0.7 is required.
        var v2 = await RegisterAsync(platform, k: 4f);
        var notEnough = await gate.ApplyAsync(Model, v2, await PackageAsync(registry, v2), evaluation, PromotionPolicy.Auto,
            new DryWetConfig.EvaluationSection { MinImprovement = 0.7 }, Work(), Ct);
        notEnough.Outcome.ShouldBe(PromotionOutcome.Rejected);
        notEnough.Challenger.Overall.ShouldBe(1.0);
        notEnough.Champion!.Overall.ShouldBe(0.4, tolerance: 1e-9);
        notEnough.Reason.ShouldEndWith("below champion + evaluation.min_improvement (1.1000)");
        (await registry.ResolveAsync(Model, cancellationToken: Ct))!.Version.ShouldBe("1");
        (await registry.ListVersionsAsync(Model, Ct)).Single(v => v.Version == "2").Aliases.ShouldBe(["challenger"]);

        // The same gain when 0.6 is required: exactly enough, promoted; the weak champion is archived.
        var v3 = await RegisterAsync(platform, k: 3f);
        var enough = await gate.ApplyAsync(Model, v3, await PackageAsync(registry, v3), evaluation, PromotionPolicy.Auto,
            new DryWetConfig.EvaluationSection { MinImprovement = 0.6 }, Work(), Ct);
        enough.Outcome.ShouldBe(PromotionOutcome.Promoted);
        enough.Reason.ShouldEndWith("reaches champion + evaluation.min_improvement (1.0000)");
        var after = await registry.ListVersionsAsync(Model, Ct);
        (await registry.ResolveAsync(Model, cancellationToken: Ct))!.Version.ShouldBe("3");
        after.Single(v => v.Version == "3").CurrentStage.ShouldBe("Production");
        after.Single(v => v.Version == "1").CurrentStage.ShouldBe("Archived");
    }

    [Theory]
    [InlineData(0.05, 0.84, PromotionOutcome.Rejected)]
    [InlineData(0.05, 0.85, PromotionOutcome.Promoted)]
    [InlineData(0.05, 0.90, PromotionOutcome.Promoted)]
    [InlineData(0.10, 0.85, PromotionOutcome.Rejected)]
    [InlineData(0.0, 0.80, PromotionOutcome.Promoted)]
    [InlineData(0.0, 0.79, PromotionOutcome.Rejected)]
    [InlineData(-0.05, 0.76, PromotionOutcome.Promoted)]
    [InlineData(-0.05, 0.74, PromotionOutcome.Rejected)]
    public void Against_a_champion_at_0_80_the_challenger_needs_the_champion_plus_min_improvement(double minImprovement, double challenger,
        PromotionOutcome expected)
    {
        var evaluation = EvaluationSet.Of([new EvaluatedImage("a.jpg", "dry"), new EvaluatedImage("b.jpg", "wet")], "2 images");
        var (outcome, _) = PromotionGate.Rule(PromotionPolicy.Auto, new DryWetConfig.EvaluationSection { MinImprovement = minImprovement }, evaluation,
            Accuracy(challenger), Accuracy(0.80), "1");

        outcome.ShouldBe(expected);
    }

    private static PackageAccuracy Accuracy(double overall) => new(overall, new Dictionary<string, double>(), 100);

    [Theory]
    [MemberData(nameof(Adapters))]
    public async Task Always_and_never_override_the_comparison_but_still_record_it(string adapter)
    {
        await using var mlflow = adapter == "mlflow" ? await FakeMlflowServer.StartAsync() : null;
        using var platform = PlatformHost.Build(_home, mlflow?.BaseAddress);
        var registry = platform.Services.GetRequiredService<IModelRegistry>();
        var gate = new PromotionGate(registry, new CollectingProgress());
        var evaluation = Images(dry: 2, wet: 2);
        var v1 = await RegisterAsync(platform, k: 4f);
        (await gate.ApplyAsync(Model, v1, await PackageAsync(registry, v1), evaluation, PromotionPolicy.Never, new(), Work(), Ct)).Outcome.ShouldBe(PromotionOutcome.Rejected);
        (await registry.ResolveAsync(Model, cancellationToken: Ct)).ShouldBeNull();

        var v2 = await RegisterAsync(platform, k: -4f);
        var forced = await gate.ApplyAsync(Model, v2, await PackageAsync(registry, v2), evaluation, PromotionPolicy.Always, new(), Work(), Ct);
        forced.Outcome.ShouldBe(PromotionOutcome.First);
        forced.Reason.ShouldStartWith("--promote always; challenger 0.0000");
        (await registry.ResolveAsync(Model, cancellationToken: Ct))!.Version.ShouldBe("2");
    }

    [Fact]
    public async Task Thresholds_reject_a_first_model_below_the_floor_or_no_better_than_the_majority_class()
    {
        using var platform = PlatformHost.Build(_home);
        var registry = platform.Services.GetRequiredService<IModelRegistry>();
        var gate = new PromotionGate(registry, new CollectingProgress());
        var v1 = await RegisterAsync(platform, k: 4f);

        var floor = await gate.DecideAsync(Model, await PackageAsync(registry, v1), Images(2, 2), PromotionPolicy.Auto, new DryWetConfig.EvaluationSection { MinAccuracy = 1.01 }, Work(), Ct);
        floor.Outcome.ShouldBe(PromotionOutcome.Rejected);
        floor.Reason.ShouldContain("below evaluation.min_accuracy 1.0100");

        // Only dry images: always answering 'dry' is 100 %, so even a perfect model has shown nothing.
        var majority = await gate.DecideAsync(Model, await PackageAsync(registry, v1), Images(3, 0), PromotionPolicy.Auto, new(), Work(), Ct);
        majority.Outcome.ShouldBe(PromotionOutcome.Rejected);
        majority.Reason.ShouldContain("no better than always answering 'dry' (1.0000)");
    }

    [Fact]
    public async Task A_champion_that_cannot_be_evaluated_stops_the_gate_with_the_way_out()
    {
        using var platform = PlatformHost.Build(_home);
        var registry = platform.Services.GetRequiredService<IModelRegistry>();
        var gate = new PromotionGate(registry, new CollectingProgress());
        var v1 = await RegisterAsync(platform, k: 4f);
        await registry.PromoteAsync(Model, v1.Version, cancellationToken: Ct);

        var challenger = await PackageAsync(registry, v1);
        File.WriteAllText(Path.Combine(_home, "mlruns", "models", Model, "version-1", "model", "model.onnx"), "not onnx");
        var error = await Should.ThrowAsync<DryWet.Core.DryWetException>(() =>
            gate.DecideAsync(Model, challenger, Images(2, 2), PromotionPolicy.Auto, new(), Work(), Ct));
        error.Message.ShouldContain("champion dry_wet_model v1 could not be evaluated");
        error.Message.ShouldContain("--promote always");
    }

    [Fact]
    public void Bad_policy_names_the_value_and_the_choices()
    {
        PromotionPolicies.Parse("Always").ShouldBe(PromotionPolicy.Always);
        Should.Throw<DryWet.Core.DryWetException>(() => PromotionPolicies.Parse("sometimes")).Message
            .ShouldBe("--promote 'sometimes' is not a promotion policy: use auto, always or never.");
    }

    private string Work() => Path.Combine(_home, "work", Guid.NewGuid().ToString("N")[..8]);

    private async Task<ModelVersion> RegisterAsync(IHost platform, float k, float[]? bias = null) =>
        await RegistryTestModels.LogAndRegisterAsync(platform, Path.Combine(_home, "packages"), k, $"k={k}", bias: bias);

    /// <summary>The version's package as a sweep's pick step has it: downloaded from the registry.</summary>
    private async Task<string> PackageAsync(IModelRegistry registry, ModelVersion version)
    {
        var folder = Path.Combine(_home, "downloads", Guid.NewGuid().ToString("N")[..8]);
        await registry.DownloadAsync(version, folder, Ct);
        return folder;
    }

    private EvaluationSet Images(int dry, int wet)
    {
        var folder = Path.Combine(_home, "eval", Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(folder);
        var images = new List<EvaluatedImage>();
        for (var i = 0; i < dry + wet; i++)
        {
            var path = Path.Combine(folder, $"{i}.jpg");
            File.WriteAllBytes(path, TestImages.Road(wet: i >= dry, width: 40 + i, height: 30 + i));
            images.Add(new EvaluatedImage(path, i >= dry ? "wet" : "dry"));
        }

        return EvaluationSet.Of(images, $"{dry} dry + {wet} wet test images");
    }

    public void Dispose() => TestFolders.DeleteQuietly(_home);
}

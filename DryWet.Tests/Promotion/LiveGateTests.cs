using DryWet.Core.Configuration;
using DryWet.Core.LiveEvaluation;
using DryWet.Core.Registry;
using DryWet.Core.Storage;
using DryWet.Core.Tracking;
using DryWet.Tests.LiveEvaluation;
using DryWet.Tests.Registry;
using DryWet.Tests.Storage;
using DryWet.Tests.Tracking;
using DryWet.TrainingWorker.Promotion;
using DryWet.TrainingWorker.Watching;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging.Abstractions;

namespace DryWet.Tests.Promotion;

/// <summary>
/// The live gate on both registries: production v1 with challenger v2 served as its shadow, reviewed requests in the
/// object store; what it promotes, what it only reports, and what it records (version tags and run metrics).
/// </summary>
public sealed class LiveGateTests : IDisposable
{
    private const string Model = "dry_wet_model";
    private static readonly DryWetConfig.EvaluationSection Defaults = DryWetConfig.Default.Evaluation;
    private readonly string _home = TestFolders.NewTempDirectory("live-gate");

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public static TheoryData<string> Adapters() => ["embedded", "mlflow"];

    [Theory]
    [MemberData(nameof(Adapters))]
    public async Task A_shadow_that_wins_on_the_same_reviewed_requests_is_promoted_live_with_its_reason_recorded(string adapter)
    {
        await using var mlflow = adapter == "mlflow" ? await FakeMlflowServer.StartAsync() : null;
        using var platform = PlatformHost.Build(_home, mlflow?.BaseAddress);
        var (champion, challenger) = await ChampionAndChallengerAsync(platform);
        // 60 paired reviews: shadow alone right 12 times, champion alone 2 → exact McNemar p = 2·P(X ≤ 2 | 14) = 0.01294.
        await ReviewedPredictions.WriteTableAsync(Objects(platform), champion.Version, challenger.Version, bothRight: 40, championOnly: 2, shadowOnly: 12, bothWrong: 6);

        var result = await Gate(platform).CheckAsync(Model, Defaults, Ct);

        result.Verdict!.Kind.ShouldBe(LiveVerdictKind.PromotedLive);
        result.Promoted!.Version.ShouldBe(challenger.Version);
        var registry = platform.Services.GetRequiredService<IModelRegistry>();
        (await registry.ResolveAsync(Model, cancellationToken: Ct))!.Version.ShouldBe(challenger.Version);
        var versions = await registry.ListVersionsAsync(Model, Ct);
        var promoted = versions.Single(v => v.Version == challenger.Version);
        promoted.Tags[PromotionDecision.OutcomeTag].ShouldBe("promoted-live");
        promoted.Tags[PromotionDecision.ChampionVersionTag].ShouldBe(champion.Version);
        promoted.Tags[PromotionDecision.PolicyTag].ShouldBe("live");
        promoted.Tags[PromotionDecision.ReasonTag].ShouldBe(
            "shadow v2 0.8667 vs champion v1 0.7000 on the same 60 reviewed requests (shadow alone right 12, champion alone right 2; exact McNemar p = 0.01294): p < evaluation.live_alpha 0.05");
        promoted.Tags[LiveTags.Verdict].ShouldBe("promoted-live");
        promoted.Tags[LiveTags.VerdictPValue].ShouldBe("0.0129395");
        promoted.Tags[LiveTags.Accuracy].ShouldBe("0.8667");
        promoted.Tags[LiveTags.Reviewed].ShouldBe("60");
        var old = versions.Single(v => v.Version == champion.Version);
        old.Tags[LiveTags.Accuracy].ShouldBe("0.7000");
        old.Tags[LiveTags.IntervalLower].ShouldBe(WilsonInterval.For(42, 60).Lower.ToString("F4", System.Globalization.CultureInfo.InvariantCulture));

        // The MLflow metric on each version's run: live accuracy at step = reviewed requests.
        var runs = platform.Services.GetRequiredService<ITrackedRunReader>();
        var challengerRun = await runs.GetRunAsync(challenger.RunId!, Ct);
        challengerRun.Metrics[LiveTags.AccuracyMetric].ShouldHaveSingleItem().Value.ShouldBe(52.0 / 60, 1e-12);
        challengerRun.Metrics[LiveTags.AccuracyMetric][0].Step.ShouldBe(60);
        challengerRun.Metrics[LiveTags.PValueMetric].ShouldHaveSingleItem().Value.ShouldBe(ExactRational.McNemarPValue(2, 12), 1e-12);
        (await runs.GetRunAsync(champion.RunId!, Ct)).Metrics[LiveTags.AccuracyMetric].ShouldHaveSingleItem().Value.ShouldBe(0.7, 1e-12);
    }

    [Theory]
    [MemberData(nameof(Adapters))]
    public async Task A_champion_behind_but_not_significantly_is_reported_not_replaced_and_a_quiet_tick_writes_nothing(string adapter)
    {
        await using var mlflow = adapter == "mlflow" ? await FakeMlflowServer.StartAsync() : null;
        using var platform = PlatformHost.Build(_home, mlflow?.BaseAddress);
        var (champion, challenger) = await ChampionAndChallengerAsync(platform);
        // Shadow ahead 7 to 3 on 60 paired reviews: p = 2·176/1024 = 0.34375.
        await ReviewedPredictions.WriteTableAsync(Objects(platform), champion.Version, challenger.Version, bothRight: 45, championOnly: 3, shadowOnly: 7, bothWrong: 5);
        var gate = Gate(platform);

        var first = await gate.CheckAsync(Model, Defaults, Ct);
        var second = await gate.CheckAsync(Model, Defaults, Ct);

        first.Verdict!.Kind.ShouldBe(LiveVerdictKind.ChampionBehindLive);
        first.Promoted.ShouldBeNull();
        first.Summary.ShouldContain("champion-behind-live");
        second.Verdict!.Kind.ShouldBe(LiveVerdictKind.ChampionBehindLive);
        var registry = platform.Services.GetRequiredService<IModelRegistry>();
        (await registry.ResolveAsync(Model, cancellationToken: Ct))!.Version.ShouldBe(champion.Version);
        var shadow = (await registry.ListVersionsAsync(Model, Ct)).Single(v => v.Version == challenger.Version);
        shadow.Tags[LiveTags.Verdict].ShouldBe("champion-behind-live");
        shadow.Tags[LiveTags.VerdictReason].ShouldStartWith("shadow v2 0.8667 vs champion v1 0.8000 on the same 60 reviewed requests (shadow alone right 7, champion alone right 3; exact McNemar p = 0.34");
        shadow.Tags[LiveTags.VerdictReason].ShouldEndWith("the shadow is ahead but p ≥ evaluation.live_alpha 0.05");
        shadow.Tags.ShouldNotContainKey(PromotionDecision.OutcomeTag); // the offline decision is not overwritten
        // Nothing new was reviewed: the second tick logged no second point.
        var run = await platform.Services.GetRequiredService<ITrackedRunReader>().GetRunAsync(challenger.RunId!, Ct);
        run.Metrics[LiveTags.AccuracyMetric].Count.ShouldBe(1);
        run.Metrics[LiveTags.PValueMetric].Count.ShouldBe(1);
    }

    [Fact]
    public async Task Too_few_paired_reviews_wait_and_say_how_many_are_missing()
    {
        using var platform = PlatformHost.Build(_home);
        var (champion, challenger) = await ChampionAndChallengerAsync(platform);
        await ReviewedPredictions.WriteTableAsync(Objects(platform), champion.Version, challenger.Version, bothRight: 10, championOnly: 0, shadowOnly: 10, bothWrong: 0);

        var result = await Gate(platform).CheckAsync(Model, Defaults, Ct);

        result.Verdict!.Kind.ShouldBe(LiveVerdictKind.ChampionBehindLive);
        result.Verdict.ReviewsNeeded.ShouldBe(30);
        result.Summary.ShouldContain("30 more paired reviews before the gate may decide");
        (await platform.Services.GetRequiredService<IModelRegistry>().ResolveAsync(Model, cancellationToken: Ct))!.Version.ShouldBe(champion.Version);
    }

    [Fact]
    public async Task Without_a_challenger_it_records_live_accuracy_and_compares_nothing()
    {
        using var platform = PlatformHost.Build(_home);
        var registry = platform.Services.GetRequiredService<IModelRegistry>();
        var only = await RegistryTestModels.LogAndRegisterAsync(platform, Path.Combine(_home, "work"), 4f);
        await registry.PromoteAsync(Model, only.Version, cancellationToken: Ct);
        await ReviewedPredictions.WriteAsync(Objects(platform), "a", "wet", "wet", only.Version, shadow: null, shadowVersion: null);

        var result = await Gate(platform).CheckAsync(Model, Defaults, Ct);

        result.Verdict.ShouldBeNull();
        result.Summary.ShouldContain("no challenger other than production v1");
        result.Versions.ShouldHaveSingleItem().ShouldBe(new LiveAccuracy("1", 1, 1));
        (await registry.ListVersionsAsync(Model, Ct)).Single().Tags[LiveTags.Reviewed].ShouldBe("1");
    }

    [Fact]
    public async Task The_watchers_live_tick_promotes_by_itself_and_stops_when_cancelled()
    {
        using var platform = PlatformHost.Build(_home);
        var (champion, challenger) = await ChampionAndChallengerAsync(platform);
        await ReviewedPredictions.WriteTableAsync(Objects(platform), champion.Version, challenger.Version, bothRight: 40, championOnly: 2, shadowOnly: 12, bothWrong: 6);
        var tick = new LiveGateTick(Gate(platform), Model, Defaults, NullLogger<LiveGateTick>.Instance);
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(Ct);

        var loop = tick.RunAsync(TimeSpan.FromMilliseconds(200), stop.Token);
        var registry = platform.Services.GetRequiredService<IModelRegistry>();
        while ((await registry.ResolveAsync(Model, cancellationToken: Ct))!.Version != challenger.Version)
        {
            loop.IsCompleted.ShouldBeFalse(); // a loop that died would never promote
            await Task.Delay(100, Ct);
        }

        await stop.CancelAsync();
        await Should.ThrowAsync<OperationCanceledException>(() => loop);
        (await registry.ListVersionsAsync(Model, Ct)).Single(v => v.Version == challenger.Version).Tags[PromotionDecision.OutcomeTag].ShouldBe("promoted-live");
        tick.LastResult.ShouldNotBeNull();
    }

    private async Task<(ModelVersion Champion, ModelVersion Challenger)> ChampionAndChallengerAsync(IHost platform)
    {
        var registry = platform.Services.GetRequiredService<IModelRegistry>();
        var champion = await RegistryTestModels.LogAndRegisterAsync(platform, Path.Combine(_home, "work"), 4f, "champion");
        var challenger = await RegistryTestModels.LogAndRegisterAsync(platform, Path.Combine(_home, "work"), 4f, "challenger");
        await registry.PromoteAsync(Model, champion.Version, cancellationToken: Ct);
        await registry.SetAliasAsync(Model, PromotionDecision.ChallengerAlias, challenger.Version, Ct);
        return (champion, challenger);
    }

    private static IObjectStore Objects(IHost platform) => platform.Services.GetRequiredService<IObjectStore>();

    private LiveGate Gate(IHost platform) => new(platform.Services.GetRequiredService<IModelRegistry>(),
        new LiveReviewReader(Objects(platform), Path.Combine(_home, "live-work"), NullLogger<LiveReviewReader>.Instance),
        platform.Services.GetRequiredService<IFinishedRunMetrics>(), NullLogger<LiveGate>.Instance);

    public void Dispose() => TestFolders.DeleteQuietly(_home);
}

using DryWet.Core.Registry;
using DryWet.Tests.Training;
using DryWet.Tests.Registry;
using DryWet.Tests.Storage;
using DryWet.Tests.Tracking;
using Microsoft.Extensions.DependencyInjection;

namespace DryWet.Tests.Promotion;

/// <summary><c>train --promote</c>, <c>promote</c> and <c>watch</c> as a user types them: a real process, exit codes and messages.</summary>
public sealed class PromotionCliTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_bad_promotion_policy_duration_or_missing_option_exits_2_naming_it()
    {
        using var temp = new TempFolder();
        var config = Path.Combine(temp.Path, "config.yaml");
        await File.WriteAllTextAsync(config, "training:\n  epochs: 1\n", Ct);

        var train = await Trainer(temp.Path, "train", "--config", config, "--data", temp.Path, "--output", Path.Combine(temp.Path, "out"), "--promote", "sometimes");
        var watch = await Trainer(temp.Path, "watch", "--config", config, "--interval", "soon");
        var badKey = await Trainer(temp.Path, "watch", "--config", WriteConfig(temp.Path, "evaluation:\n  min_improvment: 0.01\n"), "--once");
        // Refused by the argument parser itself (a required option missing): bad input as well, not 1.
        var noReason = await Trainer(temp.Path, "promote", "--version", "1");

        train.ExitCode.ShouldBe(2);
        train.Error.ShouldContain("--promote 'sometimes' is not a promotion policy: use auto, always or never.");
        watch.ExitCode.ShouldBe(2);
        watch.Error.ShouldContain("--interval 'soon' is not a duration");
        badKey.ExitCode.ShouldBe(2);
        badKey.Error.ShouldContain("evaluation.min_improvment");
        badKey.Error.ShouldContain("min_improvement");
        noReason.ExitCode.ShouldBe(2, noReason.Error);
        noReason.Error.ShouldContain("--reason");
    }

    [Fact]
    public async Task Promote_rolls_back_in_the_embedded_registry_and_says_what_serves()
    {
        using var temp = new TempFolder();
        using (var platform = PlatformHost.Build(temp.Path))
        {
            var registry = platform.Services.GetRequiredService<IModelRegistry>();
            for (var i = 0; i < 2; i++)
            {
                var version = await RegistryTestModels.LogAndRegisterAsync(platform, Path.Combine(temp.Path, "work"), 4f);
                await registry.PromoteAsync("dry_wet_model", version.Version, cancellationToken: Ct);
            }
        }

        var neither = await Trainer(temp.Path, "promote", "--reason", "why");
        var back = await Trainer(temp.Path, "promote", "--previous", "--reason", "v2 is worse on night photos");
        var missing = await Trainer(temp.Path, "promote", "--version", "9", "--reason", "why");

        neither.ExitCode.ShouldBe(2, neither.Error);
        neither.Error.ShouldContain("Pass exactly one of --version N or --previous (or --live).");
        back.ExitCode.ShouldBe(0, back.Error);
        back.Output.ShouldContain("dry_wet_model v1 is production (stage Production, aliases production).");
        missing.ExitCode.ShouldBe(2);
        missing.Error.ShouldContain("Model 'dry_wet_model' has no version '9'; it has 1, 2.");
    }

    [Fact]
    public async Task Promote_live_promotes_the_shadow_that_wins_on_reviewed_requests_and_refuses_a_version_beside_it()
    {
        using var temp = new TempFolder();
        using (var platform = PlatformHost.Build(temp.Path))
        {
            var registry = platform.Services.GetRequiredService<IModelRegistry>();
            var champion = await RegistryTestModels.LogAndRegisterAsync(platform, Path.Combine(temp.Path, "work"), 4f);
            var challenger = await RegistryTestModels.LogAndRegisterAsync(platform, Path.Combine(temp.Path, "work"), 4f);
            await registry.PromoteAsync("dry_wet_model", champion.Version, cancellationToken: Ct);
            await registry.SetAliasAsync("dry_wet_model", "challenger", challenger.Version, Ct);
            await LiveEvaluation.ReviewedPredictions.WriteTableAsync(platform.Services.GetRequiredService<Core.Storage.IObjectStore>(),
                champion.Version, challenger.Version, bothRight: 40, championOnly: 2, shadowOnly: 12, bothWrong: 6);
        }

        var both = await Trainer(temp.Path, "promote", "--live", "--version", "2");
        var strict = await Trainer(temp.Path, "promote", "--live", "--config", WriteConfig(temp.Path, "evaluation:\n  live_alpha: 0.01\n"));
        var live = await Trainer(temp.Path, "promote", "--live");

        both.ExitCode.ShouldBe(2, both.Error);
        both.Error.ShouldContain("--live decides by itself and records its own reason: leave out --version, --previous and --reason.");
        strict.ExitCode.ShouldBe(0, strict.Error);
        strict.Output.ShouldContain("Live gate: champion-behind-live: shadow v2 0.8667 vs champion v1 0.7000 on the same 60 reviewed requests");
        live.ExitCode.ShouldBe(0, live.Error);
        live.Output.ShouldContain("Live gate: promoted-live: ");
        live.Output.ShouldContain("dry_wet_model v2 is production (promoted live).");
    }

    [Fact]
    public async Task Watch_once_on_an_empty_store_follows_the_whole_dataset_reports_no_data_and_exits_0()
    {
        using var temp = new TempFolder();
        var config = WriteConfig(temp.Path, "model:\n  architecture: efficientnet_tiny\n");

        var (exit, output, error) = await Trainer(temp.Path, "watch", "--config", config, "--once");

        exit.ShouldBe(0, error);
        output.ShouldContain("no_data: waiting for bucket ml-data");
        output.ShouldContain("live: no reviewed requests yet. Nothing to compare: no production version.");
    }

    private static string WriteConfig(string folder, string yaml)
    {
        var path = Path.Combine(folder, $"config-{Guid.NewGuid():N}.yaml");
        File.WriteAllText(path, yaml);
        return path;
    }

    /// <summary>The real trainer CLI on its own embedded home (see <see cref="TrainerProcess"/>).</summary>
    private static async Task<(int ExitCode, string Output, string Error)> Trainer(string home, params string[] args) =>
        await TrainerProcess.RunAsync(new Dictionary<string, string> { ["DryWet__Home"] = home }, Ct, args);
}

using System.CommandLine;
using DryWet.Core.Configuration;
using DryWet.Core.Registry;
using DryWet.TrainingWorker.Platform;
using DryWet.TrainingWorker.Promotion;
using Microsoft.Extensions.DependencyInjection;

namespace DryWet.TrainingWorker.Commands;

/// <summary>
/// <c>promote</c>: move production (alias and stage) to a chosen version, or back to the previous one, with a reason;
/// or, with <c>--live</c>, let the live gate decide on reviewed traffic (<see cref="LiveGate"/>).
/// </summary>
internal static class PromoteCommand
{
    public static Command Create()
    {
        var name = new Option<string>("--name") { Description = "Registered model name.", DefaultValueFactory = _ => "dry_wet_model" };
        var version = new Option<string?>("--version") { Description = "The version to serve." };
        var previous = new Option<bool>("--previous") { Description = "Roll back: serve the version that was production before the current one." };
        var reason = new Option<string?>("--reason") { Description = "Why production moves; recorded as tag drywet.promotion.reason on the version." };
        var live = new Option<bool>("--live") { Description = "Let the live gate decide: promote the challenger when it beats production on the same reviewed requests (McNemar's exact test, evaluation.live_alpha, evaluation.live_min_reviews); records live accuracy either way." };
        var config = new Option<FileInfo?>("--config") { Description = "config.yaml whose evaluation.live_alpha and evaluation.live_min_reviews --live uses (default 0.05 and 50)." };
        var command = new Command("promote", "Move alias production and stage Production to another version (a rollback or a manual promotion), or let the live gate decide (--live).");
        foreach (var option in new Option[] { name, version, previous, reason, live, config })
        {
            command.Options.Add(option);
        }

        command.Validators.Add(result =>
        {
            if (result.GetValue(live))
            {
                if (result.GetValue(version) is not null || result.GetValue(previous) || result.GetValue(reason) is not null)
                {
                    result.AddError("--live decides by itself and records its own reason: leave out --version, --previous and --reason.");
                }
            }
            else if ((result.GetValue(version) is null) == !result.GetValue(previous))
            {
                result.AddError("Pass exactly one of --version N or --previous (or --live).");
            }
            else if (result.GetValue(reason) is null)
            {
                result.AddError("Option '--reason' is required: say why production moves.");
            }
        });
        command.SetAction((parseResult, ct) => CommandErrors.RunAsync(async () =>
        {
            if (parseResult.GetValue(live))
            {
                var thresholds = (parseResult.GetValue(config) is { } file ? DryWetConfig.Load(file.FullName) : DryWetConfig.Default).Evaluation;
                using var liveHost = await TrainerHost.StartAsync(ct);
                var result = await LiveGates.Create(liveHost.Services).CheckAsync(parseResult.GetValue(name)!, thresholds, ct);
                Console.WriteLine(result.Summary);
                if (result.Promoted is { } promotedLive)
                {
                    Console.WriteLine($"{promotedLive.Name} v{promotedLive.Version} is production (promoted live).");
                }

                return CommandErrors.Ok;
            }

            using var host = await TrainerHost.StartAsync(ct);
            var promotion = new ManualPromotion(host.Services.GetRequiredService<IModelRegistry>());
            var promoted = await promotion.PromoteAsync(parseResult.GetValue(name)!, parseResult.GetValue(version), parseResult.GetValue(reason)!, ct);
            Console.WriteLine($"{promoted.Name} v{promoted.Version} is production (stage {promoted.CurrentStage}, aliases {string.Join(", ", promoted.Aliases)}).");
            return CommandErrors.Ok;
        }));
        return command;
    }
}

using System.CommandLine;
using DryWet.Core.Registry;
using DryWet.TrainingWorker.Platform;
using DryWet.TrainingWorker.Promotion;
using Microsoft.Extensions.DependencyInjection;

namespace DryWet.TrainingWorker.Commands;

/// <summary><c>promote</c>: move production (alias and stage) to a chosen version, or back to the previous one, with a reason.</summary>
internal static class PromoteCommand
{
    public static Command Create()
    {
        var name = new Option<string>("--name") { Description = "Registered model name.", DefaultValueFactory = _ => "dry_wet_model" };
        var version = new Option<string?>("--version") { Description = "The version to serve." };
        var previous = new Option<bool>("--previous") { Description = "Roll back: serve the version that was production before the current one." };
        var reason = new Option<string>("--reason") { Description = "Why production moves; recorded as tag drywet.promotion.reason on the version.", Required = true };
        var command = new Command("promote", "Move alias production and stage Production to another version (a rollback or a manual promotion).");
        command.Options.Add(name);
        command.Options.Add(version);
        command.Options.Add(previous);
        command.Options.Add(reason);
        command.Validators.Add(result =>
        {
            if ((result.GetValue(version) is null) == !result.GetValue(previous))
            {
                result.AddError("Pass exactly one of --version N or --previous.");
            }
        });
        command.SetAction((parseResult, ct) => CommandErrors.RunAsync(async () =>
        {
            using var host = await TrainerHost.StartAsync(ct);
            var promotion = new ManualPromotion(host.Services.GetRequiredService<IModelRegistry>());
            var promoted = await promotion.PromoteAsync(parseResult.GetValue(name)!, parseResult.GetValue(version), parseResult.GetValue(reason)!, ct);
            Console.WriteLine($"{promoted.Name} v{promoted.Version} is production (stage {promoted.CurrentStage}, aliases {string.Join(", ", promoted.Aliases)}).");
            return CommandErrors.Ok;
        }));
        return command;
    }
}

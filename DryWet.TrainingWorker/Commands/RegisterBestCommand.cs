using System.CommandLine;
using DryWet.Core.Registry;
using DryWet.Core.Storage;
using DryWet.Core.Tracking;
using DryWet.TrainingWorker.Pipelines;
using DryWet.TrainingWorker.Platform;
using DryWet.TrainingWorker.Promotion;
using DryWet.TrainingWorker.Training;
using Microsoft.Extensions.DependencyInjection;

namespace DryWet.TrainingWorker.Commands;

/// <summary>
/// <c>register-best</c>: the sweep pipeline's fan-in step. Picks the highest best_val_acc of the collected
/// <c>train --result-file</c> results (ties: the first), registers that run's logged model and applies the promotion gate.
/// </summary>
internal static class RegisterBestCommand
{
    public static Command Create()
    {
        var candidates = new Option<string>("--candidates")
        {
            Description = "JSON list of train --result-file results (KFP passes the sweep's collected outputs), or @path of a file holding it.",
            Required = true,
        };
        var config = new Option<FileInfo>("--config") { Description = "The config.yaml the sweep's train steps used (the best run's overrides are applied to it).", Required = true };
        var data = new Option<string>("--data") { Description = "The dataset the sweep trained on (zip, folder or s3://bucket/key): the best run's validation split is rebuilt from it for the gate.", Required = true };
        var promote = new Option<string>("--promote")
        {
            Description = $"Promotion policy for the best model: {PromotionPolicies.Names}.",
            DefaultValueFactory = _ => "auto",
        };
        var command = new Command("register-best", "Register the best run of a sweep (highest best_val_acc) and send it through the champion/challenger gate.");
        command.Options.Add(candidates);
        command.Options.Add(config);
        command.Options.Add(data);
        command.Options.Add(promote);
        command.SetAction((parseResult, ct) => CommandErrors.RunAsync(async () =>
        {
            var list = SweepCandidate.ParseList(ReadCandidates(parseResult.GetValue(candidates)!));
            var policy = PromotionPolicies.Parse(parseResult.GetValue(promote));
            var configPath = parseResult.GetValue(config)!.FullName;
            using var host = await TrainerHost.StartAsync(ct);
            var services = host.Services;
            var registration = new SweepRegistration(services.GetRequiredService<IModelRegistry>(), services.GetRequiredService<IExperimentTracker>(),
                services.GetRequiredService<ITrackedRunReader>(), services.GetRequiredService<IObjectStore>(), new LogLineProgress(Console.Out));
            var outcome = await registration.RegisterBestAsync(new SweepRegistration.Request(list, configPath, parseResult.GetValue(data)!, policy), ct);
            Console.WriteLine($"{outcome.Version.Name} v{outcome.Version.Version} from run {outcome.Best.RunId}: {outcome.Decision.OutcomeName}.");
            return CommandErrors.Ok;
        }));
        return command;
    }

    /// <summary>Inline JSON, or <c>@file</c> for a list too long for a command line.</summary>
    private static string ReadCandidates(string value)
    {
        if (!value.StartsWith('@'))
        {
            return value;
        }

        var path = value[1..];
        return File.Exists(path) ? File.ReadAllText(path)
            : throw new DryWet.Core.DryWetException($"--candidates {value}: file '{path}' does not exist.");
    }
}

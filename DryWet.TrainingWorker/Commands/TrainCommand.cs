using System.CommandLine;
using DryWet.Core;
using DryWet.Core.Configuration;
using DryWet.Core.Tracking;
using DryWet.TrainingWorker.Model;
using DryWet.TrainingWorker.Training;
using Spectre.Console;

namespace DryWet.TrainingWorker.Commands;

/// <summary><c>train</c>: config + data → model package (the original's train.py).</summary>
internal static class TrainCommand
{
    /// <summary>Which tracker the command uses; the composition root (tracking) replaces the default.</summary>
    public static Func<IExperimentTracker> TrackerFactory { get; set; } = () => new UntrackedExperimentTracker();

    public static Command Create()
    {
        var config = new Option<FileInfo>("--config") { Description = "config.yaml with the original's keys (data, training, augmentation, normalization, model, loss, scheduler, early_stopping, mlflow, random_seed).", Required = true };
        var data = new Option<string>("--data") { Description = "Dataset: a zip or a folder with one subfolder per class (dry/, wet/). Defaults to the config's data.data_path." };
        var output = new Option<DirectoryInfo>("--output") { Description = "Folder to write the model package to (replaced atomically).", Required = true };
        var threads = new Option<int>("--threads") { Description = "libtorch intra-op threads (0 = libtorch's default, one per core). Its OpenMP threads spin-wait: on a busy or CPU-limited machine 1 is often several times faster." };
        var command = new Command("train", "Train the dry/wet classifier and write a model package (MLmodel, model.onnx, config.yaml, labels, metrics, reports).");
        command.Options.Add(config);
        command.Options.Add(data);
        command.Options.Add(output);
        command.Options.Add(threads);
        command.SetAction((parseResult, ct) => CommandErrors.RunAsync(async () =>
        {
            var settings = DryWetConfig.Load(parseResult.GetValue(config)!.FullName);
            var dataPath = parseResult.GetValue(data) ?? settings.Data.DataPath
                ?? throw new DryWetException("No data given: pass --data <zip|folder> or set data.data_path in the config.");
            TorchRuntime.EnsureLoaded();
            if (parseResult.GetValue(threads) is > 0 and var count)
            {
                TorchSharp.torch.set_num_threads(count);
            }

            var request = new TrainingRequest(settings, dataPath, parseResult.GetValue(output)!.FullName);
            var tracker = TrackerFactory();

            if (Console.IsOutputRedirected)
            {
                var progress = new LogLineProgress(Console.Out);
                progress.Message($"Tracking: {tracker.Description}.");
                await new TrainingPipeline(tracker, new EfficientNetBackend(progress), progress).RunAsync(request, ct);
                return CommandErrors.Ok;
            }

            await AnsiConsole.Progress()
                .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn(), new RemainingTimeColumn())
                .StartAsync(async context =>
                {
                    var progress = new SpectreProgress(context, settings.Training.Epochs);
                    progress.Message($"Tracking: {tracker.Description}.");
                    await new TrainingPipeline(tracker, new EfficientNetBackend(progress), progress).RunAsync(request, ct);
                    progress.Complete();
                });
            return CommandErrors.Ok;
        }));
        return command;
    }
}

using System.CommandLine;
using DryWet.Core;
using DryWet.Core.Configuration;
using DryWet.Core.Registry;
using DryWet.Core.Storage;
using DryWet.Core.Tracking;
using DryWet.TrainingWorker.Data;
using DryWet.TrainingWorker.Model;
using DryWet.TrainingWorker.Overrides;
using DryWet.TrainingWorker.Pipelines;
using DryWet.TrainingWorker.Platform;
using DryWet.TrainingWorker.Promotion;
using DryWet.TrainingWorker.Training;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Spectre.Console;

namespace DryWet.TrainingWorker.Commands;

/// <summary>
/// <c>train</c>: config + data → model package → tracked run → registered and promoted model (the original's train.py).
/// Tracking and registry are the configured adapters (MLflow with ConnectionStrings:mlflow, else embedded under
/// DryWet:Home); data may be an object reference (s3://bucket/key), downloaded first.
/// </summary>
internal static class TrainCommand
{
    /// <summary>Where <c>--dataset</c> looks without <c>--data</c>: the data bucket's root.</summary>
    public const string DefaultDataPrefix = "s3://ml-data/";

    public static Command Create()
    {
        var config = new Option<FileInfo>("--config") { Description = "config.yaml with the original's keys (data, training, augmentation, normalization, model, loss, scheduler, early_stopping, mlflow, random_seed).", Required = true };
        var data = new Option<string>("--data") { Description = "Dataset: s3://bucket/ or s3://bucket/prefix/ (everything there: zips at the root plus reviewed class folders, eval/ and dot-folders left out), s3://bucket/key of one zip, a local folder laid out the same way (or one subfolder per class), or a zip. Defaults to the config's data.data_path; with --dataset, to s3://ml-data/." };
        var datasetVersion = new Option<string?>("--dataset") { Description = "Retrain on exactly this dataset version (a run's dataset.version tag): its manifest <data>/.datasets/<version>.json is fetched object by object and refused if any object changed." };
        var output = new Option<DirectoryInfo>("--output") { Description = "Folder to write the model package to once the run has succeeded (replaced atomically). A folder there must be empty or a model package (MLmodel); anything else is refused unless --force.", Required = true };
        var force = new Option<bool>("--force") { Description = "Replace the --output folder even when it is not a model package (everything in it is deleted)." };
        var noRegister = new Option<bool>("--no-register") { Description = "Track the run but do not register or promote the model." };
        var set = new Option<string[]>("--set") { Description = "Override a config key for this run (repeatable), e.g. --set training.learning_rate=3e-4; checked against the config's keys and types." };
        var resultFile = new Option<FileInfo?>("--result-file") { Description = "Also write the run id, best_val_acc, logged model and overrides as JSON to this file (atomically): the result a pipeline sweep collects." };
        var promote = new Option<string>("--promote") { Description = "After registering: auto (default: promote only when at least as good as the current production model on the same held-out images), always (the original's behaviour), never (alias challenger only).", DefaultValueFactory = _ => "auto" };
        var threads = new Option<int>("--threads") { Description = "libtorch intra-op threads (0 = libtorch's default, one per core). Idle OpenMP threads spin briefly, then sleep (OMP_WAIT_POLICY=PASSIVE, GOMP_SPINCOUNT=1000 unless set), so a busy machine is shared fairly." };
        var command = new Command("train", "Train the dry/wet classifier, write a model package, log the run, register and promote the model.");
        command.Options.Add(config);
        command.Options.Add(data);
        command.Options.Add(datasetVersion);
        command.Options.Add(output);
        command.Options.Add(force);
        command.Options.Add(noRegister);
        command.Options.Add(promote);
        command.Options.Add(threads);
        command.Options.Add(set);
        command.Options.Add(resultFile);
        command.SetAction((parseResult, ct) => CommandErrors.RunAsync(async () =>
        {
            var policy = PromotionPolicies.Parse(parseResult.GetValue(promote));
            var overrides = ConfigOverride.ParseAll(parseResult.GetValue(set) ?? []);
            var settings = ConfigWithOverrides.Load(parseResult.GetValue(config)!.FullName, overrides);
            var version = parseResult.GetValue(datasetVersion) is { } v ? DatasetManifest.ValidateVersion(v) : null;
            var dataArgument = parseResult.GetValue(data) ?? (version is not null ? DefaultDataPrefix : settings.Data.DataPath)
                ?? throw new DryWetException("No data given: pass --data <zip|folder|s3://bucket/> or set data.data_path in the config.");
            var outputPath = parseResult.GetValue(output)!.FullName;
            OutputMustNotHoldInputs(outputPath, parseResult.GetValue(config)!.FullName, dataArgument);
            TorchRuntime.EnsureLoaded();
            if (parseResult.GetValue(threads) is > 0 and var count)
            {
                TorchSharp.torch.set_num_threads(count);
            }

            using var host = await TrainerHost.StartAsync(ct);
            var request = new TrainingRequest(settings, dataArgument, outputPath,
                Register: !parseResult.GetValue(noRegister), Promotion: policy, ReplaceAnyOutput: parseResult.GetValue(force), DatasetVersion: version);

            TrainingResult? result = null;
            if (Console.IsOutputRedirected)
            {
                result = await RunAsync(host, request, new LogLineProgress(Console.Out), ct);
            }
            else
            {
                await AnsiConsole.Progress()
                    .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn(), new RemainingTimeColumn())
                    .StartAsync(async context =>
                    {
                        var progress = new SpectreProgress(context, settings.Training.Epochs);
                        result = await RunAsync(host, request, progress, ct);
                        progress.Complete();
                    });
            }

            if (parseResult.GetValue(resultFile) is { } resultPath)
            {
                new SweepCandidate(result!.RunId, result.BestValAcc, result.ModelSource,
                    overrides.ToDictionary(o => o.Key.Path, o => o.Value, StringComparer.Ordinal)) { ModelId = result.ModelId }.Write(resultPath.FullName);
            }

            return CommandErrors.Ok;
        }));
        return command;
    }

    /// <summary>Replacing the output folder must never delete the run's own config or data, not even with --force.</summary>
    private static void OutputMustNotHoldInputs(string output, string config, string data)
    {
        foreach (var (name, path) in new[] { ("--config", config), ("--data", data) })
        {
            if (!ObjectStoreUri.IsObjectStoreUri(path) && AtomicDirectory.Contains(output, path))
            {
                throw new DryWetException($"--output '{output}' contains {name} '{Path.GetFullPath(path)}': replacing it with the model package would delete it. Choose another --output folder.");
            }
        }
    }

    private static async Task<TrainingResult> RunAsync(IHost host, TrainingRequest request, ITrainingProgress progress, CancellationToken ct)
    {
        var settings = request.Config;
        // One trace per training run: download, the epochs and every MLflow/MinIO call nest under this span.
        using var activity = TrainingTelemetry.Source.StartActivity("train");
        activity?.SetTag("drywet.data", request.Data);
        activity?.SetTag("drywet.architecture", settings.Model.Architecture);
        progress = new TelemetryProgress(progress);
        // Large files over a slow link: no overall timeout (the download reports progress and honours Ctrl+C).
        using var http = new HttpClient { Timeout = Timeout.InfiniteTimeSpan };
        var result = await TrainingRuns.Create(host.Services, http, progress).ExecuteAsync(request, ct);
        activity?.SetTag("drywet.promotion", result.Promotion?.OutcomeName);
        return result;
    }
}

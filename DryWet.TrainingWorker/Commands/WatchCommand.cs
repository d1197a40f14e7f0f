using System.CommandLine;
using DryWet.Core;
using DryWet.Core.Configuration;
using DryWet.Core.Packaging;
using DryWet.Core.Registry;
using DryWet.Core.Storage;
using DryWet.TrainingWorker.Model;
using DryWet.TrainingWorker.Pipelines;
using DryWet.TrainingWorker.Platform;
using DryWet.TrainingWorker.Promotion;
using DryWet.TrainingWorker.Training;
using DryWet.TrainingWorker.Watching;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using DryWet.Core.Platform;

namespace DryWet.TrainingWorker.Commands;

/// <summary>
/// <c>watch</c>: data-triggered training. Follows the training zip in the object store and trains when its content
/// is new — in this process (the laptop), or by submitting the Kubeflow pipeline (<c>--submit-kfp</c>, the cluster).
/// </summary>
internal static class WatchCommand
{
    public static Command Create()
    {
        var bucket = new Option<string>("--bucket") { Description = "Bucket holding the training data.", DefaultValueFactory = _ => PlatformNames.DataBucket };
        var objectName = new Option<string>("--object") { Description = "The dataset zip to follow.", DefaultValueFactory = _ => PlatformNames.DatasetObject };
        var prefix = new Option<string?>("--prefix") { Description = "Folder of the object inside the bucket." };
        var interval = new Option<string>("--interval") { Description = "Time between checks (30s, 5m, 00:01:00).", DefaultValueFactory = _ => "60s" };
        var debounce = new Option<string>("--debounce") { Description = "How long a change must hold still before training (an upload in progress is not trained on).", DefaultValueFactory = _ => "10s" };
        var once = new Option<bool>("--once") { Description = "Check once (training when the data is new), print the decision and exit; with --debounce 0s for scripts and cron." };
        var config = new Option<FileInfo>("--config") { Description = "config.yaml for the runs (as train).", Required = true };
        var output = new Option<DirectoryInfo?>("--output") { Description = "Where each run writes its model package (in-process training); default <DryWet:Home>/watch/model. A folder there must be empty or a model package unless --force." };
        var force = new Option<bool>("--force") { Description = "Replace the --output folder even when it is not a model package (as train --force)." };
        var promote = new Option<string>("--promote") { Description = "auto (default), always or never, as train.", DefaultValueFactory = _ => "auto" };
        var threads = new Option<int>("--threads") { Description = "libtorch intra-op threads for in-process training (0 = libtorch's default)." };
        var submitKfp = new Option<bool>("--submit-kfp") { Description = "Train by submitting the Kubeflow pipeline for the object and waiting for its run (the cluster)." };
        var kubeflowHost = new Option<string>("--kubeflow-host") { Description = "Kubeflow Pipelines API with --submit-kfp.", DefaultValueFactory = _ => "http://ml-pipeline.kubeflow:8888" };
        var @namespace = new Option<string?>("--namespace") { Description = "Profile namespace (multi-user Kubeflow only)." };
        var trainingImage = new Option<string>("--training-image") { Description = "Trainer image the pipeline's steps run.", DefaultValueFactory = _ => new TrainingPipelineSettings().TrainingImage };
        var gpus = new Option<int>("--gpus") { Description = "GPUs for the pipeline's train step.", DefaultValueFactory = _ => new TrainingPipelineSettings().TrainGpus };
        var command = new Command("watch", "Train automatically when the training data in the object store changes (one run at a time; content already trained is skipped).");
        foreach (var option in new Option[] { bucket, objectName, prefix, interval, debounce, once, config, output, force, promote, threads, submitKfp, kubeflowHost, @namespace, trainingImage, gpus })
        {
            command.Options.Add(option);
        }

        command.SetAction((parseResult, ct) => CommandErrors.RunAsync(async () =>
        {
            var data = WatchedObject.From(parseResult.GetValue(bucket)!, parseResult.GetValue(prefix), parseResult.GetValue(objectName)!);
            var every = Durations.Parse("--interval", parseResult.GetValue(interval), TimeSpan.FromMilliseconds(100), TimeSpan.FromDays(1));
            var settle = Durations.Parse("--debounce", parseResult.GetValue(debounce), TimeSpan.Zero, TimeSpan.FromHours(1));
            var policy = PromotionPolicies.Parse(parseResult.GetValue(promote));
            var settings = DryWetConfig.Load(parseResult.GetValue(config)!.FullName);
            var useKfp = parseResult.GetValue(submitKfp);
            if (!useKfp)
            {
                TorchRuntime.EnsureLoaded();
                if (parseResult.GetValue(threads) is > 0 and var count)
                {
                    TorchSharp.torch.set_num_threads(count);
                }
            }

            using var host = await TrainerHost.StartAsync(ct);
            var services = host.Services;
            var home = DryWetHome.Resolve(services.GetRequiredService<IConfiguration>());
            var work = Path.Combine(home, "watch", "work");
            Directory.CreateDirectory(work);
            using var http = new HttpClient { Timeout = Timeout.InfiniteTimeSpan }; // weights downloads: progress, no overall limit
            using var kubeflowHttp = new HttpClient { Timeout = TimeSpan.FromSeconds(60) };
            var progress = new TelemetryProgress(new LogLineProgress(Console.Out));
            var packageFolder = parseResult.GetValue(output)?.FullName ?? Path.Combine(home, "watch", "model");
            if (!useKfp)
            {
                // At start, not at the first new data.
                ModelPackage.EnsureReplaceable(packageFolder, parseResult.GetValue(force));
            }

            ITrainingLauncher launcher = useKfp
                ? Kubeflow(parseResult.GetValue(kubeflowHost)!, parseResult.GetValue(@namespace), parseResult.GetValue(trainingImage)!, parseResult.GetValue(gpus), kubeflowHttp)
                : new InProcessTrainingLauncher(() => TrainingRuns.Create(services, http, progress), new TrainingRequest(settings, "",
                    packageFolder, Register: true, Promotion: policy, ReplaceAnyOutput: parseResult.GetValue(force)));
            var watcher = new DataWatcher(services.GetRequiredService<IObjectStore>(), services.GetRequiredService<IModelRegistry>(),
                settings.Mlflow.RegisteredModelName, launcher, data, settle, work, services.GetRequiredService<ILogger<DataWatcher>>());
            if (parseResult.GetValue(once))
            {
                var decision = await watcher.CheckOnceAsync(ct);
                Console.WriteLine($"{decision.Name}: {decision.Message}");
                return decision.Kind == WatchDecisionKind.Failed ? CommandErrors.Failed : CommandErrors.Ok;
            }

            await watcher.RunAsync(every, ct);
            return CommandErrors.Ok;
        }));
        return command;
    }

    private static KubeflowTrainingLauncher Kubeflow(string host, string? @namespace, string image, int gpus, HttpClient http)
    {
        var baseAddress = KubeflowPipelinesClient.BaseAddressFor(host);
        http.BaseAddress = baseAddress;
        var submitter = new TrainingPipelineSubmitter(new KubeflowPipelinesClient(http), Console.Out);
        return new KubeflowTrainingLauncher(submitter, new TrainingPipelineSettings { TrainingImage = image, TrainGpus = gpus },
            new TrainingPipelineSubmitter.Options(baseAddress, @namespace, Wait: true, TimeSpan.FromSeconds(15), WaitTimeout: null));
    }
}

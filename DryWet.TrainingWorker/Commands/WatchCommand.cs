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
/// <c>watch</c>: data-triggered training. Follows the whole dataset (the data prefix: archives and reviewed class
/// folders) and trains when its dataset version is new, or, with <c>--object</c>, one zip — in this process (the
/// laptop), or by submitting the Kubeflow pipeline (<c>--submit-kfp</c>, the cluster).
/// </summary>
internal static class WatchCommand
{
    public static Command Create()
    {
        var bucket = new Option<string>("--bucket") { Description = "Bucket holding the training data.", DefaultValueFactory = _ => PlatformNames.DataBucket };
        var objectName = new Option<string?>("--object") { Description = "Follow only this dataset zip (e.g. dry-wet-data.zip). Without it, the whole dataset under --prefix is followed: zips at its root and reviewed class folders; reviewed labels start a run once DryWet:Watcher:MinNewLabels (default 20) arrived." };
        var prefix = new Option<string?>("--prefix") { Description = "The data prefix inside the bucket (default: the bucket's root); the folder of --object." };
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
        var liveGate = new Option<string>("--live-gate") { Description = "on (default): every interval, also run the live gate (promote --live); off: data only.", DefaultValueFactory = _ => "on" };
        var command = new Command("watch", "Train automatically when the training data in the object store changes: the whole dataset (a new dataset version), or one zip with --object (one run at a time; data already trained is skipped).");
        foreach (var option in new Option[] { bucket, objectName, prefix, interval, debounce, once, config, output, force, promote, threads, submitKfp, kubeflowHost, @namespace, trainingImage, gpus, liveGate })
        {
            command.Options.Add(option);
        }

        command.SetAction((parseResult, ct) => CommandErrors.RunAsync(async () =>
        {
            var archive = parseResult.GetValue(objectName) is { } name ? WatchedObject.From(parseResult.GetValue(bucket)!, parseResult.GetValue(prefix), name) : null;
            var dataset = archive is null ? WatchedDataset.From(parseResult.GetValue(bucket)!, parseResult.GetValue(prefix)) : null;
            var every = Durations.Parse("--interval", parseResult.GetValue(interval), TimeSpan.FromMilliseconds(100), TimeSpan.FromDays(1));
            var settle = Durations.Parse("--debounce", parseResult.GetValue(debounce), TimeSpan.Zero, TimeSpan.FromHours(1));
            var policy = PromotionPolicies.Parse(parseResult.GetValue(promote));
            var settings = DryWetConfig.Load(parseResult.GetValue(config)!.FullName);
            var live = parseResult.GetValue(liveGate) switch
            {
                "on" => true,
                "off" => false,
                var other => throw new DryWetException($"--live-gate '{other}' is not on or off."),
            };
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
                ? Kubeflow(parseResult.GetValue(kubeflowHost)!, parseResult.GetValue(@namespace), parseResult.GetValue(trainingImage)!, parseResult.GetValue(gpus),
                    services.GetRequiredService<WeightsOptions>(), kubeflowHttp)
                : new InProcessTrainingLauncher(() => TrainingRuns.Create(services, http, progress), new TrainingRequest(settings, "",
                    packageFolder, Register: true, Promotion: policy, ReplaceAnyOutput: parseResult.GetValue(force)));
            var objects = services.GetRequiredService<IObjectStore>();
            var registry = services.GetRequiredService<IModelRegistry>();
            Func<CancellationToken, Task<WatchDecision>> check;
            Func<CancellationToken, Task> loop;
            if (archive is not null)
            {
                var watcher = new DataWatcher(objects, registry, settings.Mlflow.RegisteredModelName, launcher, archive, settle, work, services.GetRequiredService<ILogger<DataWatcher>>());
                (check, loop) = (watcher.CheckOnceAsync, token => watcher.RunAsync(every, token));
            }
            else
            {
                var minNewLabels = services.GetRequiredService<WatcherOptions>().MinNewLabels;
                var watcher = new DatasetWatcher(objects, registry, settings.Mlflow.RegisteredModelName, launcher, dataset!, settle, minNewLabels, work, services.GetRequiredService<ILogger<DatasetWatcher>>());
                (check, loop) = (watcher.CheckOnceAsync, token => watcher.RunAsync(every, token));
            }

            var liveTick = live ? new LiveGateTick(LiveGates.Create(services), settings.Mlflow.RegisteredModelName, settings.Evaluation,
                services.GetRequiredService<ILogger<LiveGateTick>>()) : null;
            if (parseResult.GetValue(once))
            {
                var decision = await check(ct);
                Console.WriteLine($"{decision.Name}: {decision.Message}");
                if (liveTick is not null)
                {
                    Console.WriteLine($"live: {(await liveTick.CheckOnceAsync(ct)).Summary}");
                }

                return decision.Kind == WatchDecisionKind.Failed ? CommandErrors.Failed : CommandErrors.Ok;
            }

            await Task.WhenAll(loop(ct), liveTick?.RunAsync(every, ct) ?? Task.CompletedTask);
            return CommandErrors.Ok;
        }));
        return command;
    }

    /// <summary>The cluster's launcher: the pipeline's train step gets the watcher's own DryWet:Weights (mirror, file names).</summary>
    private static KubeflowTrainingLauncher Kubeflow(string host, string? @namespace, string image, int gpus, WeightsOptions weights, HttpClient http)
    {
        var baseAddress = KubeflowPipelinesClient.BaseAddressFor(host);
        http.BaseAddress = baseAddress;
        var submitter = new TrainingPipelineSubmitter(new KubeflowPipelinesClient(http), Console.Out);
        var settings = new TrainingPipelineSettings
        {
            TrainingImage = image,
            TrainGpus = gpus,
            WeightsBaseUrl = string.IsNullOrWhiteSpace(weights.BaseUrl) ? null : weights.BaseUrl,
            WeightsFiles = weights.Files,
        };
        return new KubeflowTrainingLauncher(submitter, settings,
            new TrainingPipelineSubmitter.Options(baseAddress, @namespace, Wait: true, TimeSpan.FromSeconds(15), WaitTimeout: null));
    }
}

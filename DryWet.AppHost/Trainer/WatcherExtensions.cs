using DryWet.AppHost.Minio;
using DryWet.AppHost.Mlflow;
using DryWet.AppHost.Platform;
using DryWet.AppHost.Serving;
using DryWet.Core.Platform;

namespace DryWet.AppHost.Trainer;

/// <summary>
/// The trainer's <c>watch</c> command as a long-running resource: it follows the whole dataset in <c>ml-data</c> (the
/// sample zip at its root plus the Review page's class folders; reviewed labels once <c>DryWet:Watcher:MinNewLabels</c>
/// of them arrived) and trains
/// (in its own process, under the TorchSharp-capable host) whenever the content is new, through the promotion gate.
/// Its console log shows every decision; "Load sample data" is all a user has to click.
/// </summary>
public static class WatcherExtensions
{
    /// <summary>Seconds between checks on a laptop: a change is picked up quickly (the CLI's default is 60 s).</summary>
    public const string IntervalKey = "DryWet:Watcher:Interval";

    /// <summary>Passed on to the watcher (the trainer reads and checks it): new reviewed labels that start a run (default 20).</summary>
    public const string MinNewLabelsKey = "DryWet:Watcher:MinNewLabels";

    public static IResourceBuilder<ExecutableResource> AddTrainerWatcher(this IDistributedApplicationBuilder builder, string name, DryWetPlatform platform)
    {
        var host = LocalTrainer.For(builder);
        var config = Path.GetFullPath(builder.Configuration[TrainerExtensions.ConfigKey] ?? TrainerExtensions.DefaultConfig, builder.AppHostDirectory);
        var interval = builder.Configuration[IntervalKey] is { Length: > 0 } configured ? configured : "5s";
        string[] arguments = ["exec", host.AssemblyPath, .. TrainerArguments.Watch(config, DryWetPlatform.DataBucket,
            ["--interval", interval, "--debounce", "2s", "--output", platform.TrainerOutputPath])];
        var watcher = builder.AddExecutable(name, "dotnet", host.ProjectDirectory, arguments)
            .WithOtlpExporter()
            .WithEnvironment("DOTNET_ENVIRONMENT", "Development")
            .WithWeightsMirror(builder)
            .UsePlatform(platform)
            .RunsUnderTorchSharpHost(host, "The training watcher");
        if (builder.Configuration[MinNewLabelsKey] is { Length: > 0 } minNewLabels)
        {
            watcher.WithEnvironment("DryWet__Watcher__MinNewLabels", minNewLabels);
        }

        return watcher;
    }
}

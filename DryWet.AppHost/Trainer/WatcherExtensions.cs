using System.Globalization;
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
    public static IResourceBuilder<ExecutableResource> AddTrainerWatcher(this IDistributedApplicationBuilder builder, string name, DryWetPlatform platform)
    {
        var host = LocalTrainer.For(builder);
        var settings = platform.Settings;
        var config = Path.GetFullPath(settings.Trainer.Config, builder.AppHostDirectory);
        string[] arguments = ["exec", host.AssemblyPath, .. TrainerArguments.Watch(config, DryWetPlatform.DataBucket,
            ["--interval", settings.Watcher.Interval, "--debounce", "2s", "--output", platform.TrainerOutputPath])];
        var watcher = builder.AddExecutable(name, "dotnet", host.ProjectDirectory, arguments)
            .WithOtlpExporter()
            .WithEnvironment("DOTNET_ENVIRONMENT", "Development")
            .WithWeightsSettings(settings.Weights)
            .UsePlatform(platform)
            .RunsUnderTorchSharpHost(host, "The training watcher");
        if (settings.Watcher.MinNewLabels is { } minNewLabels)
        {
            watcher.WithEnvironment("DryWet__Watcher__MinNewLabels", minNewLabels.ToString(CultureInfo.InvariantCulture));
        }

        return watcher;
    }
}

using DryWet.AppHost.Minio;
using DryWet.AppHost.Mlflow;
using DryWet.AppHost.Platform;
using DryWet.AppHost.Serving;
using DryWet.Core.Platform;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace DryWet.AppHost.Trainer;

/// <summary>
/// The trainer (DryWet.TrainingWorker): runs one training to completion when started from the dashboard.
/// Locally it is an executable under the TorchSharp-capable host; in container mode with
/// <c>DryWet:Trainer:Image</c> set it is a GPU container; in the published model it is the project.
/// </summary>
public static class TrainerExtensions
{
    /// <summary>The published Job's work folders: the download step extracts the dataset into the first, train writes the model package into the second, upload reads it.</summary>
    public const string JobDataFolder = "/work/data";

    public const string JobModelFolder = "/work/model";

    public static IResourceBuilder<IResourceWithEnvironment> AddTrainer(
        this IDistributedApplicationBuilder builder, string name, DryWetPlatform platform, int gpus = 1)
    {
        var host = LocalTrainer.For(builder);

        if (builder.ExecutionContext.IsPublishMode)
        {
            // In a cluster the trainer image trains on the dataset a download step extracted into the pod's work folder.
            // DryWet:Home (the ImageNet weights cache, scratch) on the Job's writable work volume.
            var published = builder.AddProject<Projects.DryWet_TrainingWorker>(name)
                .WithArgs(TrainerArguments.Train("config.yaml", JobDataFolder, JobModelFolder))
                .WithEnvironment("DryWet__Home", "/work/home")
                .WithWeightsSettings(platform.Settings.Weights)
                .UsePlatform(platform)
                .WithGpuRequirement(gpus)
                .WithExplicitStart();
            return Generalize(published);
        }

        var config = Path.GetFullPath(platform.Settings.Trainer.Config, builder.AppHostDirectory);
        var output = platform.TrainerOutputPath;
        var image = platform.Settings.Trainer.Image;
        if (platform.Mode == PlatformMode.Containers && !string.IsNullOrWhiteSpace(image))
        {
            var container = builder.AddContainer(name, image)
                .WithBindMount(Path.GetDirectoryName(config)!, "/config", isReadOnly: true)
                .WithBindMount(platform.Home, "/drywet")
                .WithArgs(TrainerArguments.Train($"/config/{Path.GetFileName(config)}",
                    $"/drywet/objects/{DryWetPlatform.DataBucket}/{DryWetPlatform.SampleDataObject}", "/drywet/models/latest"))
                .WithWeightsSettings(platform.Settings.Weights)
                .UsePlatform(platform)
                .WithGpus(gpus)
                .WithExplicitStart()
                .WithTrainNowCommand()
                .WithLoadSampleDataCommand(platform, host);
            return Generalize(container);
        }

        var executable = builder.AddExecutable(name, "dotnet", host.ProjectDirectory,
                ["exec", host.AssemblyPath, .. TrainerArguments.Train(config, platform.SampleDataPath, output)])
            .WithOtlpExporter()
            .WithEnvironment("DOTNET_ENVIRONMENT", "Development")
            .WithWeightsSettings(platform.Settings.Weights)
            .UsePlatform(platform)
            .WithGpuRequirement(gpus)
            .WithExplicitStart()
            .WithTrainNowCommand()
            .WithLoadSampleDataCommand(platform, host)
            .WithLoadNoisySampleDataCommand(platform, host);

        // A first "Train now" on a fresh machine trains on the generated sample dataset instead of failing.
        builder.Eventing.Subscribe<BeforeResourceStartedEvent>(executable.Resource, async (e, ct) =>
        {
            if (!File.Exists(platform.SampleDataPath))
            {
                var logger = e.Services.GetRequiredService<ResourceLoggerService>().GetLogger(e.Resource);
                logger.LogInformation("No dataset at {Path}: generating the sample dataset first", platform.SampleDataPath);
                await SampleData.LoadAsync(platform, host, logger, ct).ConfigureAwait(false);
            }
        });

        return Generalize(executable.RunsUnderTorchSharpHost(host, "The trainer"));
    }

    /// <summary>
    /// Runs the executable under the TorchSharp-capable host, resolved once before anything starts (the compat script
    /// caches its work). A failure must not take the dashboard down: serving still runs, the log says what to fix.
    /// </summary>
    internal static IResourceBuilder<ExecutableResource> RunsUnderTorchSharpHost(this IResourceBuilder<ExecutableResource> executable,
        LocalTrainer host, string what)
    {
        executable.ApplicationBuilder.Eventing.Subscribe<BeforeStartEvent>(async (e, _) =>
        {
            try
            {
                host.EnsureBuilt();
                executable.WithCommand(await host.ResolveAsync().ConfigureAwait(false));
            }
            catch (InvalidOperationException ex)
            {
                e.Services.GetRequiredService<ILoggerFactory>().CreateLogger("DryWet.AppHost")
                    .LogError("{What} cannot start: {Reason}", what, ex.Message);
            }
        });
        return executable;
    }

    /// <summary>
    /// Passes <c>DryWet:Weights</c> on to a trainer: <c>BaseUrl</c> (a mirror of torchvision's weight files) and every
    /// <c>Files:&lt;architecture&gt;</c> entry, each when set (<see cref="WeightsSettings.EnvironmentVariables"/>).
    /// </summary>
    internal static IResourceBuilder<T> WithWeightsSettings<T>(this IResourceBuilder<T> trainer, WeightsSettings weights)
        where T : IResourceWithEnvironment
    {
        foreach (var (name, value) in weights.EnvironmentVariables())
        {
            trainer.WithEnvironment(name, value);
        }

        return trainer;
    }

    private static IResourceBuilder<IResourceWithEnvironment> Generalize<T>(IResourceBuilder<T> builder) where T : IResourceWithEnvironment =>
        builder.ApplicationBuilder.CreateResourceBuilder<IResourceWithEnvironment>(builder.Resource);
}

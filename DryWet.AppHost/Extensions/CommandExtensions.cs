using System.Net.Http.Headers;
using System.Diagnostics;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace DryWet.AppHost.Extensions;

/// <summary>Dashboard commands: "Train now", "Load sample data", "Reload model".</summary>
public static class CommandExtensions
{
    public const string TrainNowCommand = "train-now";
    public const string LoadSampleDataCommand = "load-sample-data";
    public const string ReloadModelCommand = "reload-model";


    /// <summary>Starts the (explicit-start) trainer; enabled while it is not running.</summary>
    public static IResourceBuilder<T> WithTrainNowCommand<T>(this IResourceBuilder<T> trainer) where T : IResource =>
        trainer.WithCommand(
            TrainNowCommand,
            "Train now",
            async context =>
            {
                var commands = context.Services.GetRequiredService<ResourceCommandService>();
                return await commands.ExecuteCommandAsync(trainer.Resource, KnownResourceCommands.StartCommand, context.CancellationToken)
                    .ConfigureAwait(false);
            },
            new CommandOptions
            {
                Description = "Run one training on the dataset in ml-data and register the model",
                IconName = "BrainCircuit",
                IsHighlighted = true,
                UpdateState = state => state.ResourceSnapshot.State?.Text is "Running" or "Starting" or "Waiting"
                    ? ResourceCommandState.Disabled
                    : ResourceCommandState.Enabled,
            });

    /// <summary>
    /// Generates the sample dataset with the trainer's <c>sample-data</c> command into the local ml-data bucket
    /// (<c>&lt;home&gt;/objects/ml-data/dry-wet-data.zip</c>) and, in container mode, uploads it to MinIO's ml-data.
    /// </summary>
    public static IResourceBuilder<T> WithLoadSampleDataCommand<T>(this IResourceBuilder<T> trainer, DryWetPlatform platform, TrainerHost host)
        where T : IResource =>
        trainer.WithCommand(
            LoadSampleDataCommand,
            "Load sample data",
            async context =>
            {
                try
                {
                    await SampleData.LoadAsync(platform, host, context.Logger, context.Services, context.CancellationToken).ConfigureAwait(false);
                    return CommandResults.Success($"Sample data is in {DryWetPlatform.DataBucket}/{DryWetPlatform.SampleDataObject}");
                }
                catch (Exception ex) when (ex is not OperationCanceledException)
                {
                    context.Logger.LogError(ex, "Loading the sample data failed");
                    return CommandResults.Failure(ex.Message);
                }
            },
            new CommandOptions
            {
                Description = $"Generate the sample dataset and put it into {DryWetPlatform.DataBucket}",
                IconName = "DatabaseArrowUp",
            });

    /// <summary>POST /model/reload on serving, with <c>Authorization: Bearer &lt;admin key&gt;</c> when one is configured.</summary>
    public static IResourceBuilder<ProjectResource> WithReloadModelCommand(
        this IResourceBuilder<ProjectResource> serving, IResourceBuilder<ParameterResource>? adminKey) =>
        serving.WithHttpCommand(
            "/model/reload",
            "Reload model",
            endpointName: "http",
            commandName: ReloadModelCommand,
            commandOptions: new HttpCommandOptions
            {
                Method = HttpMethod.Post,
                Description = "Load the newest Production model from the registry",
                IconName = "ArrowSync",
                PrepareRequest = async request =>
                {
                    if (adminKey is not null && await adminKey.Resource.GetValueAsync(request.CancellationToken).ConfigureAwait(false) is { Length: > 0 } key)
                    {
                        request.Request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", key);
                    }
                },
            });
}

/// <summary>The work behind "Load sample data".</summary>
internal static class SampleData
{
    public static async Task LoadAsync(DryWetPlatform platform, TrainerHost host, ILogger logger, IServiceProvider services, CancellationToken ct)
    {
        host.EnsureBuilt();
        var dotnet = await host.ResolveAsync().ConfigureAwait(false);
        var target = platform.SampleDataPath;
        Directory.CreateDirectory(Path.GetDirectoryName(target)!);

        // Generate next to the target and rename: the bucket never holds a half-written zip.
        var temp = target + $".{Guid.NewGuid():N}.tmp.zip";
        try
        {
            await RunAsync(dotnet, [ "exec", host.AssemblyPath, "sample-data", "--output", temp, .. platform.SampleDataArguments ], host.ProjectDirectory, logger, ct).ConfigureAwait(false);
            File.Move(temp, target, overwrite: true);
        }
        finally
        {
            File.Delete(temp);
        }

        logger.LogInformation("Sample data written to {Path}", target);
        if (platform.Minio is { } minio)
        {
            var connection = await minio.Resource.ConnectionStringExpression.GetValueAsync(ct).ConfigureAwait(false)
                ?? throw new InvalidOperationException("MinIO is not running yet: start it, then load the sample data again.");
            await MinioBuckets.UploadAsync(MinioConnection.Parse(connection), DryWetPlatform.DataBucket, DryWetPlatform.SampleDataObject, target, ct)
                .ConfigureAwait(false);
            logger.LogInformation("Sample data uploaded to MinIO {Bucket}/{Object}", DryWetPlatform.DataBucket, DryWetPlatform.SampleDataObject);
        }
    }

    private static async Task RunAsync(string file, string[] args, string workingDirectory, ILogger logger, CancellationToken ct)
    {
        using var process = Process.Start(new ProcessStartInfo(file, args)
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        }) ?? throw new InvalidOperationException($"Could not start {file}.");

        process.OutputDataReceived += (_, e) => { if (e.Data is { } line) logger.LogInformation("{Line}", line); };
        process.ErrorDataReceived += (_, e) => { if (e.Data is { } line) logger.LogWarning("{Line}", line); };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        try
        {
            await process.WaitForExitAsync(ct).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw;
        }

        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"'trainer {string.Join(' ', args.Skip(2))}' exited with code {process.ExitCode}; see the trainer's console log.");
        }
    }
}

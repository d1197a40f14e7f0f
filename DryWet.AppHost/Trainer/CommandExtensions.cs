using System.Net.Http.Headers;
using DryWet.AppHost.Minio;
using DryWet.AppHost.Mlflow;
using DryWet.AppHost.Platform;
using DryWet.AppHost.Serving;
using DryWet.Core.Platform;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace DryWet.AppHost.Trainer;

/// <summary>Dashboard commands: "Train now", "Load sample data", "Load noisy sample data", "Reload model", "Roll back model".</summary>
public static class CommandExtensions
{
    public const string TrainNowCommand = "train-now";
    public const string LoadSampleDataCommand = "load-sample-data";
    public const string ReloadModelCommand = "reload-model";
    public const string LoadNoisySampleDataCommand = "load-noisy-sample-data";
    public const string RollbackModelCommand = "rollback-model";


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
    public static IResourceBuilder<T> WithLoadSampleDataCommand<T>(this IResourceBuilder<T> trainer, DryWetPlatform platform, LocalTrainer host)
        where T : IResource =>
        trainer.WithCommand(
            LoadSampleDataCommand,
            "Load sample data",
            LoggingFailures("Loading the sample data", async context =>
            {
                await SampleData.LoadAsync(platform, host, context.Logger, context.CancellationToken).ConfigureAwait(false);
                return CommandResults.Success($"Sample data is in {DryWetPlatform.DataBucket}/{DryWetPlatform.SampleDataObject}");
            }),
            new CommandOptions
            {
                Description = $"Generate the sample dataset and put it into {DryWetPlatform.DataBucket}",
                IconName = "DatabaseArrowUp",
            });

    /// <summary>
    /// "Load noisy sample data": the same sample data with half the labels at random — a deliberately worse dataset.
    /// The watcher trains on it and the promotion gate should reject the model while the champion keeps serving.
    /// </summary>
    public static IResourceBuilder<T> WithLoadNoisySampleDataCommand<T>(this IResourceBuilder<T> trainer, DryWetPlatform platform, LocalTrainer host)
        where T : IResource =>
        trainer.WithCommand(
            LoadNoisySampleDataCommand,
            "Load noisy sample data",
            LoggingFailures("Loading the noisy sample data", async context =>
            {
                await SampleData.LoadAsync(platform, host, context.Logger, context.CancellationToken, SampleData.NoisyArguments).ConfigureAwait(false);
                return CommandResults.Success($"Noisy sample data (half the labels at random) is in {DryWetPlatform.DataBucket}/{DryWetPlatform.SampleDataObject}");
            }),
            new CommandOptions
            {
                Description = "Replace the training data with a deliberately worse dataset (half the labels wrong) to watch the promotion gate reject its model",
                IconName = "DatabaseWarning",
            });

    /// <summary>
    /// "Roll back model" on serving: the trainer's <c>promote --previous</c> moves production back to the version that
    /// served before, then serving reloads at once (it would also notice by polling).
    /// </summary>
    public static IResourceBuilder<ProjectResource> WithRollbackModelCommand(this IResourceBuilder<ProjectResource> serving, DryWetPlatform platform,
        LocalTrainer host) =>
        serving.WithCommand(
            RollbackModelCommand,
            "Roll back model",
            LoggingFailures("Rolling back", async context =>
            {
                await TrainerCli.RunAsync(host, platform, TrainerArguments.RollBack("Roll back model (dashboard)"), context.Logger, context.CancellationToken).ConfigureAwait(false);
                var commands = context.Services.GetRequiredService<ResourceCommandService>();
                var reloaded = await commands.ExecuteCommandAsync(serving.Resource, ReloadModelCommand, context.CancellationToken).ConfigureAwait(false);
                return reloaded.Success
                    ? CommandResults.Success("Production moved back to the previous version; serving reloaded it")
                    : CommandResults.Success($"Production moved back to the previous version; serving will pick it up when it polls ({reloaded.Message})");
            }),
            new CommandOptions
            {
                Description = "Serve the version that was production before the current one (promote --previous)",
                IconName = "ArrowUndo",
                ConfirmationMessage = "Move production back to the previous version?",
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

    /// <summary>A command's work; a failure is logged with its stack trace and shown in the dashboard as the command's message.</summary>
    private static Func<ExecuteCommandContext, Task<ExecuteCommandResult>> LoggingFailures(
        string work, Func<ExecuteCommandContext, Task<ExecuteCommandResult>> command) =>
        async context =>
        {
            try
            {
                return await command(context).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                context.Logger.LogError(ex, "{Work} failed", work);
                return CommandResults.Failure(ex.Message);
            }
        };
}

/// <summary>The work behind "Load sample data" and "Load noisy sample data".</summary>
internal static class SampleData
{
    /// <summary>What "Load noisy sample data" passes: half the labels at random, so its model should lose to the champion.</summary>
    public static readonly string[] NoisyArguments = ["--label-noise", "0.5"];

    public static async Task LoadAsync(DryWetPlatform platform, LocalTrainer host, ILogger logger, CancellationToken ct, IReadOnlyList<string>? extra = null)
    {
        var target = platform.SampleDataPath;
        Directory.CreateDirectory(Path.GetDirectoryName(target)!);

        // Generate next to the target and rename: the bucket never holds a half-written zip (the watcher follows it).
        // The fixed evaluation set is written once, then kept: every model is judged on the same images.
        var temp = target + $".{Guid.NewGuid():N}.tmp.zip";
        var evalTemp = platform.EvaluationSetPath + $".{Guid.NewGuid():N}.tmp";
        var newEvaluationSet = !Directory.Exists(platform.EvaluationSetPath);
        try
        {
            string[] evalArgs = newEvaluationSet ? ["--eval-folder", evalTemp] : [];
            await TrainerCli.RunAsync(host, platform, TrainerArguments.SampleData(temp, [.. platform.SampleDataArguments, .. extra ?? [], .. evalArgs]), logger, ct).ConfigureAwait(false);
            if (newEvaluationSet)
            {
                Directory.Move(evalTemp, platform.EvaluationSetPath);
            }

            File.Move(temp, target, overwrite: true);
        }
        finally
        {
            File.Delete(temp);
            if (Directory.Exists(evalTemp))
            {
                Directory.Delete(evalTemp, recursive: true);
            }
        }

        logger.LogInformation("Sample data written to {Path}", target);
        if (platform.Minio is { } minio)
        {
            var connection = MinioConnection.Parse(await minio.Resource.ConnectionStringExpression.GetValueAsync(ct).ConfigureAwait(false)
                ?? throw new InvalidOperationException("MinIO is not running yet: start it, then load the sample data again."));
            foreach (var file in Directory.EnumerateFiles(platform.EvaluationSetPath, "*", SearchOption.AllDirectories))
            {
                var key = PlatformNames.EvaluationPrefix + Path.GetRelativePath(platform.EvaluationSetPath, file).Replace(Path.DirectorySeparatorChar, '/');
                await MinioBuckets.UploadAsync(connection, DryWetPlatform.DataBucket, key, file, ct, "image/jpeg").ConfigureAwait(false);
            }

            await MinioBuckets.UploadAsync(connection, DryWetPlatform.DataBucket, DryWetPlatform.SampleDataObject, target, ct).ConfigureAwait(false);
            logger.LogInformation("Sample data uploaded to MinIO {Bucket}/{Object} (and the evaluation set to {Bucket}/eval/)", DryWetPlatform.DataBucket, DryWetPlatform.SampleDataObject, DryWetPlatform.DataBucket);
        }
    }
}

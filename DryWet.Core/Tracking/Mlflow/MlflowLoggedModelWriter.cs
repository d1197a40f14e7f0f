using Microsoft.Extensions.Logging;

namespace DryWet.Core.Tracking.Mlflow;

/// <summary>
/// Logs a package as an MLflow 3 LoggedModel the way <c>mlflow.&lt;flavor&gt;.log_model</c> does: create it (PENDING,
/// with the run's params) first, so the package's MLmodel can name its <c>model_id</c>; upload the files to its own
/// artifact location, finalize it READY, and link it to the run with runs/outputs, so the experiment's "Logged models"
/// page lists it. A 2.x server has no such route (ENDPOINT_NOT_FOUND): then the model stays what it was on 2.x, the
/// run's <c>model/</c> artifacts, and nothing fails.
/// </summary>
internal static class MlflowLoggedModelWriter
{
    /// <summary>Creates the LoggedModel (PENDING); null when the server predates MLflow 3.</summary>
    public static async Task<MlflowLoggedModel?> TryCreateAsync(MlflowClient client, MlflowRunInfo run,
        IReadOnlyDictionary<string, string> runParams, string name, ILogger logger, CancellationToken cancellationToken)
    {
        try
        {
            return await client.CreateLoggedModelAsync(run.ExperimentId, name, run.RunId,
                parameters: runParams.Select(p => new MlflowParam(p.Key, p.Value)).ToList(), cancellationToken: cancellationToken);
        }
        catch (MlflowException ex) when (MlflowClient.IsEndpointNotFound(ex))
        {
            logger.LogInformation("MLflow at {Server} has no LoggedModels (it predates MLflow 3); model {Name} of run {RunId} is logged as run artifacts only.",
                client.BaseAddress, name, run.RunId);
            return null;
        }
    }

    /// <summary>Uploads the files to the LoggedModel, finalizes it READY and links it to the run.</summary>
    public static async Task<LoggedModelInfo> CompleteAsync(MlflowClient client, MlflowArtifactLocation artifacts, MlflowRunInfo run,
        MlflowLoggedModel model, string packageDirectory, string runModelUri, ILogger logger, CancellationToken cancellationToken)
    {
        var modelId = model.Info.ModelId;
        await FailedUnlessAsync(client, modelId, logger, async () =>
        {
            foreach (var file in Directory.EnumerateFiles(packageDirectory, "*", SearchOption.AllDirectories).Order(StringComparer.Ordinal))
            {
                var relative = Path.GetRelativePath(packageDirectory, file).Replace(Path.DirectorySeparatorChar, '/');
                await artifacts.UploadAsync(model.Info.ArtifactUri, relative, file, cancellationToken);
            }
        });

        await client.FinalizeLoggedModelAsync(modelId, MlflowLoggedModelStatus.Ready, cancellationToken);
        await client.LogOutputsAsync(run.RunId, [new MlflowModelOutput(modelId, 0)], cancellationToken);
        logger.LogInformation("Logged model {ModelId} ({Name}) of run {RunId} at {ArtifactUri}", modelId, model.Info.Name, run.RunId, model.Info.ArtifactUri);
        return new LoggedModelInfo(runModelUri, modelId, model.Info.ArtifactUri);
    }

    /// <summary>
    /// Runs <paramref name="step"/>; when it fails, the model is marked LOGGED_MODEL_UPLOAD_FAILED, never left PENDING
    /// (best effort: the server may be the cause), and the failure is rethrown.
    /// </summary>
    public static async Task FailedUnlessAsync(MlflowClient client, string modelId, ILogger logger, Func<Task> step)
    {
        try
        {
            await step();
        }
        catch (Exception ex) when (ex is DryWetException or HttpRequestException or IOException or OperationCanceledException)
        {
            try
            {
                await client.FinalizeLoggedModelAsync(modelId, MlflowLoggedModelStatus.UploadFailed, CancellationToken.None);
            }
            catch (Exception markError) when (markError is DryWetException or HttpRequestException)
            {
                logger.LogError("Could not mark LoggedModel {ModelId} LOGGED_MODEL_UPLOAD_FAILED: {Error}. It stays PENDING in the MLflow UI.", modelId, markError.Message);
            }

            throw;
        }
    }
}

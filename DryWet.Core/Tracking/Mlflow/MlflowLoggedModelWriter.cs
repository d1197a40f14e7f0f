using Microsoft.Extensions.Logging;

namespace DryWet.Core.Tracking.Mlflow;

/// <summary>
/// Logs a package as an MLflow 3 LoggedModel the way <c>mlflow.&lt;flavor&gt;.log_model</c> does: create it (PENDING,
/// with the run's params), upload the files to its own artifact location, finalize it READY, and link it to the run
/// with runs/outputs, so the experiment's "Logged models" page lists it. A 2.x server has no such route
/// (ENDPOINT_NOT_FOUND): then the model stays what it was on 2.x, the run's <c>model/</c> artifacts, and nothing fails.
/// </summary>
internal static class MlflowLoggedModelWriter
{
    public static async Task<LoggedModelInfo> TryLogAsync(MlflowClient client, MlflowArtifactLocation artifacts, MlflowRunInfo run,
        IReadOnlyDictionary<string, string> runParams, string packageDirectory, string name, ILogger logger, CancellationToken cancellationToken)
    {
        var runModelUri = $"{run.ArtifactUri.TrimEnd('/')}/{name}";
        MlflowLoggedModel model;
        try
        {
            model = await client.CreateLoggedModelAsync(run.ExperimentId, name, run.RunId,
                parameters: runParams.Select(p => new MlflowParam(p.Key, p.Value)).ToList(), cancellationToken: cancellationToken);
        }
        catch (MlflowException ex) when (MlflowClient.IsEndpointNotFound(ex))
        {
            logger.LogInformation("MLflow at {Server} has no LoggedModels (it predates MLflow 3); model {Name} of run {RunId} is logged as run artifacts only.",
                client.BaseAddress, name, run.RunId);
            return new LoggedModelInfo(runModelUri, null, null);
        }

        var modelId = model.Info.ModelId;
        try
        {
            foreach (var file in Directory.EnumerateFiles(packageDirectory, "*", SearchOption.AllDirectories).Order(StringComparer.Ordinal))
            {
                var relative = Path.GetRelativePath(packageDirectory, file).Replace(Path.DirectorySeparatorChar, '/');
                await artifacts.UploadAsync(model.Info.ArtifactUri, relative, file, cancellationToken);
            }
        }
        catch (Exception ex) when (ex is DryWetException or HttpRequestException or IOException or OperationCanceledException)
        {
            await TryMarkFailedAsync(client, modelId, logger);
            throw;
        }

        await client.FinalizeLoggedModelAsync(modelId, MlflowLoggedModelStatus.Ready, cancellationToken);
        await client.LogOutputsAsync(run.RunId, [new MlflowModelOutput(modelId, 0)], cancellationToken);
        logger.LogInformation("Logged model {ModelId} ({Name}) of run {RunId} at {ArtifactUri}", modelId, name, run.RunId, model.Info.ArtifactUri);
        return new LoggedModelInfo(runModelUri, modelId, model.Info.ArtifactUri);
    }

    /// <summary>A model whose files did not all arrive is marked so, never left PENDING (best effort: the server may be the cause).</summary>
    private static async Task TryMarkFailedAsync(MlflowClient client, string modelId, ILogger logger)
    {
        try
        {
            await client.FinalizeLoggedModelAsync(modelId, MlflowLoggedModelStatus.UploadFailed, CancellationToken.None);
        }
        catch (Exception ex) when (ex is DryWetException or HttpRequestException)
        {
            logger.LogError("Could not mark LoggedModel {ModelId} LOGGED_MODEL_UPLOAD_FAILED: {Error}. It stays PENDING in the MLflow UI.", modelId, ex.Message);
        }
    }
}

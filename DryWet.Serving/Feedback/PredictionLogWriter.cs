using System.Runtime.CompilerServices;
using System.Text.Json;
using DryWet.Core.Feedback;
using DryWet.Core.Storage;
using DryWet.Serving.Telemetry;

namespace DryWet.Serving.Feedback;

/// <summary>
/// Drains the prediction log's queue into the object store (image first, then its record, so a reader that finds a
/// record finds its image) and applies retention. A failed write is dropped and counted, never retried: the queue
/// must keep moving, and a missed sample costs nothing but a sample.
/// </summary>
internal sealed partial class PredictionLogWriter(PredictionLogQueue queue, IServiceProvider services, ServingTelemetry telemetry,
    ILogger<PredictionLogWriter> logger) : BackgroundService
{
    /// <summary>How long queued entries may still be written once the server stops.</summary>
    internal static readonly TimeSpan DrainTime = TimeSpan.FromSeconds(5);

    /// <summary>After the store failed to answer, entries are dropped without asking it for this long.</summary>
    internal static readonly TimeSpan OutageBackoff = TimeSpan.FromSeconds(5);

    private static readonly TimeSpan RetentionInterval = TimeSpan.FromHours(1);
    private bool _bucketReady;
    private DateTimeOffset _storeDownUntil = DateTimeOffset.MinValue;
    private DateTimeOffset _lastFailureLogged = DateTimeOffset.MinValue;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var options = queue.Options;
        if (!options.Enabled)
        {
            return;
        }

        // Resolved here, not in the constructor: with the log off, serving never touches the object store.
        var store = services.GetRequiredService<IObjectStore>();
        LogEnabled(logger, options.SampleRate, PredictionLogLayout.Bucket, store.Description, options.RetentionDays);
        using var drain = new CancellationTokenSource();
        await using var stopping = stoppingToken.Register(() =>
        {
            queue.Complete();
            drain.CancelAfter(DrainTime);
        });

        var retention = options.RetentionDays > 0 ? RunRetentionAsync(store, options.RetentionDays, stoppingToken) : Task.CompletedTask;
        await foreach (var entry in queue.Reader.ReadAllAsync(CancellationToken.None))
        {
            try
            {
                if (drain.IsCancellationRequested)
                {
                    telemetry.RecordPredictionLogDropped(PredictionLogDropReason.Shutdown);
                    continue;
                }

                // The shadow's answer (bounded by its deadline) and a tensor's PNG: here, off the response path.
                await entry.CompleteAsync(stoppingToken);
                await WriteAsync(store, entry, drain.Token);
            }
            finally
            {
                queue.Release(entry);
            }
        }

        await retention;
    }

    private async Task WriteAsync(IObjectStore store, PredictionLogEntry entry, CancellationToken cancellationToken)
    {
        // A down store is not asked again for every entry: that would load it while it recovers and log a failure
        // per prediction. Entries meanwhile are dropped and counted like a failed write.
        if (DateTimeOffset.UtcNow < _storeDownUntil)
        {
            telemetry.RecordPredictionLogDropped(PredictionLogDropReason.StoreUnavailable);
            return;
        }

        var imageWritten = new StrongBox<bool>();
        try
        {
            try
            {
                await PutAsync(store, entry, imageWritten, cancellationToken);
            }
            catch (ObjectStoreUnavailableException) when (!cancellationToken.IsCancellationRequested)
            {
                // Once, at once: the usual cause is a pooled connection the server closed while idle ("connection
                // reset by peer" on the next request); a store that is really down fails the second time too.
                await PutAsync(store, entry, imageWritten, cancellationToken);
            }

            telemetry.RecordPredictionLogWritten();
        }
        catch (Exception ex)
        {
            var reason = ex switch
            {
                OperationCanceledException when cancellationToken.IsCancellationRequested => PredictionLogDropReason.Shutdown,
                // A timeout (TaskCanceledException from HttpClient) is the store not answering.
                ObjectStoreUnavailableException or IOException or UnauthorizedAccessException or OperationCanceledException => PredictionLogDropReason.StoreUnavailable,
                _ => PredictionLogDropReason.StoreError,
            };
            telemetry.RecordPredictionLogDropped(reason);
            if (reason == PredictionLogDropReason.StoreUnavailable)
            {
                _storeDownUntil = DateTimeOffset.UtcNow + OutageBackoff;
            }

            // The bucket may be what went away (a wiped store): ask again next time.
            _bucketReady = false;
            LogFailure(entry, reason, ex);
            if (imageWritten.Value)
            {
                await DeleteQuietlyAsync(store, entry.ImageKey);
            }
        }
    }

    /// <summary>Writes the image, then its record; <paramref name="imageWritten"/> says whether a clean-up is due when the record fails.</summary>
    private async Task PutAsync(IObjectStore store, PredictionLogEntry entry, StrongBox<bool> imageWritten, CancellationToken cancellationToken)
    {
        if (!_bucketReady)
        {
            await store.EnsureBucketAsync(PredictionLogLayout.Bucket, cancellationToken);
            _bucketReady = true;
        }

        await store.UploadAsync(PredictionLogLayout.Bucket, entry.ImageKey, entry.Image, entry.Record.ContentType, cancellationToken);
        imageWritten.Value = true;
        var json = JsonSerializer.SerializeToUtf8Bytes(entry.Record, PredictionLogRecord.Json);
        await store.UploadAsync(PredictionLogLayout.Bucket, entry.RecordKey, json, "application/json", cancellationToken);
    }

    /// <summary>An image without its record is never read; remove it rather than leave half an entry.</summary>
    private async Task DeleteQuietlyAsync(IObjectStore store, string key)
    {
        try
        {
            using var timeout = new CancellationTokenSource(DrainTime);
            await store.DeleteAsync(PredictionLogLayout.Bucket, key, timeout.Token);
        }
        catch (Exception ex)
        {
            logger.LogDebug(ex, "Could not remove {Key} after its record failed; retention removes it later", key);
        }
    }

    /// <summary>One warning per minute at most: an outage under load would otherwise log every request.</summary>
    private void LogFailure(PredictionLogEntry entry, string reason, Exception ex)
    {
        var now = DateTimeOffset.UtcNow;
        if (now - _lastFailureLogged < TimeSpan.FromMinutes(1))
        {
            return;
        }

        _lastFailureLogged = now;
        LogWriteFailed(logger, ex, entry.RecordKey, reason, ex.Message);
    }

    private async Task RunRetentionAsync(IObjectStore store, int retentionDays, CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(RetentionInterval);
        do
        {
            try
            {
                var deleted = await PredictionLogRetention.ApplyAsync(store, retentionDays, DateTimeOffset.UtcNow, stoppingToken);
                telemetry.RecordPredictionLogDeleted(deleted.Objects);
                if (deleted.Objects > 0)
                {
                    LogRetention(logger, deleted.Objects, deleted.Folders, retentionDays);
                }
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                LogRetentionFailed(logger, ex, ex.Message);
            }
        }
        while (await WaitAsync(timer, stoppingToken));
    }

    private static async Task<bool> WaitAsync(PeriodicTimer timer, CancellationToken stoppingToken)
    {
        try
        {
            return await timer.WaitForNextTickAsync(stoppingToken);
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    [LoggerMessage(LogLevel.Information, "Prediction log on: sample rate {SampleRate}, bucket {Bucket} in {Store}, retention {RetentionDays} days (0 = forever)")]
    private static partial void LogEnabled(ILogger logger, double sampleRate, string bucket, string store, int retentionDays);

    [LoggerMessage(LogLevel.Warning, "Prediction log: {Key} dropped ({Reason}): {Message}. Further failures within a minute are only counted (drywet_prediction_log_dropped_total)")]
    private static partial void LogWriteFailed(ILogger logger, Exception exception, string key, string reason, string message);

    [LoggerMessage(LogLevel.Information, "Prediction log retention: deleted {Objects} objects in {Folders} date folders older than {RetentionDays} days")]
    private static partial void LogRetention(ILogger logger, int objects, int folders, int retentionDays);

    [LoggerMessage(LogLevel.Warning, "Prediction log retention failed, retried in an hour: {Message}")]
    private static partial void LogRetentionFailed(ILogger logger, Exception exception, string message);
}

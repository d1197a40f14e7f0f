using System.Text.Json;
using DryWet.Core.Storage;
using Microsoft.Extensions.Logging;

namespace DryWet.TrainingWorker.Watching;

/// <summary>
/// What a watcher last handled (<see cref="WatchState"/> for one archive, <see cref="DatasetWatchState"/> for the whole
/// dataset), kept next to the data at <c>s3://&lt;bucket&gt;/.drywet/watch/…json</c> so that a restarted watcher (a
/// rescheduled pod) does not retrain. Read once, then cached: none stored, or an unreadable one, is null (the data is
/// then checked by content); every save replaces it.
/// </summary>
public sealed class WatchStateStore<TState>(IObjectStore objects, string bucket, string key, ILogger logger) where TState : class
{
    /// <summary>A watch state is a few hundred bytes; anything far larger is not one.</summary>
    private const int MaxBytes = 1 << 20;
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { WriteIndented = true };
    private TState? _state;
    private bool _loaded;

    public async Task<TState?> LoadAsync(CancellationToken cancellationToken)
    {
        if (_loaded)
        {
            return _state;
        }

        try
        {
            _state = JsonSerializer.Deserialize<TState>((await objects.ReadAsync(bucket, key, MaxBytes, cancellationToken)).Content, Json);
        }
        catch (Exception ex) when (ex is ObjectNotFoundException or BucketNotFoundException)
        {
            _state = null;
        }
        catch (JsonException ex)
        {
            logger.LogWarning("Ignoring unreadable watch state s3://{Bucket}/{Key} ({Error}); the data is checked by its content", bucket, key, ex.Message);
            _state = null;
        }

        _loaded = true;
        return _state;
    }

    public async Task SaveAsync(TState state, CancellationToken cancellationToken)
    {
        await objects.UploadAsync(bucket, key, JsonSerializer.SerializeToUtf8Bytes(state, Json), "application/json", cancellationToken);
        (_state, _loaded) = (state, true);
    }
}

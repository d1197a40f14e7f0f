namespace DryWet.Serving.Models;

/// <summary>A source that can say cheaply which version it would serve now, so a poller reloads only when it changed.</summary>
public interface IWatchableModelSource
{
    /// <summary>The version <see cref="IModelSource.FetchAsync"/> would return now; null when there is none.</summary>
    Task<string?> PeekVersionAsync(CancellationToken cancellationToken);
}

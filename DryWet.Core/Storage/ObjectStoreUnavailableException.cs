namespace DryWet.Core.Storage;

/// <summary>The object store could not be reached or failed (network, 5xx). Retrying later may succeed.</summary>
public sealed class ObjectStoreUnavailableException(string where, string operation, Exception inner)
    : DryWetException($"The object store ({where}) failed during {operation}: {inner.Message}. Check that it is running and reachable (ConnectionStrings:minio), then retry.", inner);

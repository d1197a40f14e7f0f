namespace DryWet.Core.Storage;

/// <summary>A small object read into memory with its version tag (S3's ETag; a content hash in the embedded store).</summary>
public sealed record VersionedObject(byte[] Content, string ETag);

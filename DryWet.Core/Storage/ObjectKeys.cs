using System.Text.RegularExpressions;

namespace DryWet.Core.Storage;

/// <summary>Validation shared by both object-store adapters, so a name that fails on MinIO also fails embedded.</summary>
public static partial class ObjectKeys
{
    // S3 bucket naming rules (lower case, digits, dots, hyphens; 3-63 chars).
    [GeneratedRegex("^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")]
    private static partial Regex BucketPattern();

    public static void ValidateBucket(string bucket)
    {
        if (string.IsNullOrEmpty(bucket) || !BucketPattern().IsMatch(bucket) || bucket.Contains("..", StringComparison.Ordinal))
        {
            throw new DryWetException($"Bucket name '{bucket}' is invalid: use 3-63 lower-case letters, digits, dots or hyphens (e.g. ml-data).");
        }
    }

    /// <summary>
    /// Keys are '/'-separated relative paths. Rejects what would escape a folder on disk (.., absolute paths,
    /// backslashes, empty segments) so the embedded store can never write outside its bucket.
    /// </summary>
    public static void ValidateKey(string key)
    {
        if (string.IsNullOrEmpty(key) || key.Length > 1024)
        {
            throw new DryWetException($"Object key '{key}' is invalid: it must be 1-1024 characters.");
        }

        if (key.StartsWith('/') || key.Contains('\\') || key.Contains('\0')
            || key.Split('/').Any(s => s is "" or "." or ".."))
        {
            throw new DryWetException($"Object key '{key}' is invalid: use a relative path of '/'-separated names without '.', '..', empty segments or backslashes (e.g. datasets/dry-wet-data.zip).");
        }
    }
}

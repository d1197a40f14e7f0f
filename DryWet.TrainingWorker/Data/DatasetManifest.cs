using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using DryWet.Core;

namespace DryWet.TrainingWorker.Data;

/// <summary>
/// A dataset snapshot: every object of the data prefix that the training reads (archives at its root, reviewed images in
/// its class folders), each with size, SHA-256, class and origin. <see cref="Version"/> — the dataset version — is a
/// digest of exactly those fields, so the same objects give the same version wherever they are (MinIO, the embedded
/// store, a local folder) and any changed byte or label gives another. It is stored as
/// <c>&lt;prefix&gt;/.datasets/&lt;version&gt;.json</c> next to the data, where <c>train --dataset</c> finds it again.
/// </summary>
public sealed record DatasetManifest(string Version, string Source, DateTimeOffset CreatedAt, IReadOnlyList<SnapshotObject> Objects)
{
    /// <summary>Hex digits of the version: 128 bits of SHA-256, the most that fits MLflow's 36-character dataset digest.</summary>
    public const int VersionLength = 32;

    /// <summary>The folder, under the data prefix, that holds the manifests (a dot-folder: never part of a dataset).</summary>
    public const string Folder = ".datasets";

    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        WriteIndented = true,
    };

    public int ReviewedObjects => Objects.Count(o => o.Origin == DatasetOrigin.Review);

    public long Bytes => Objects.Sum(o => o.Size);

    /// <summary>The archive's SHA-256 when the dataset is one archive (as before dataset versions), else the manifest's full digest.</summary>
    public string ContentSha256 => Objects is [{ Origin: DatasetOrigin.Archive } only] ? only.Sha256 : Sha256Of(Objects);

    /// <summary>A manifest of <paramref name="objects"/> (sorted by key) with its version computed.</summary>
    public static DatasetManifest Create(string source, IEnumerable<SnapshotObject> objects, DateTimeOffset createdAt)
    {
        var sorted = objects.OrderBy(o => o.Key, StringComparer.Ordinal).ToList();
        return new DatasetManifest(Digest(sorted), source, createdAt, sorted);
    }

    /// <summary>The version of these objects: the first <see cref="VersionLength"/> hex digits of <see cref="Sha256Of"/>.</summary>
    public static string Digest(IReadOnlyList<SnapshotObject> sortedObjects) => Sha256Of(sortedObjects)[..VersionLength];

    /// <summary>SHA-256 over one canonical line per object (key, size, SHA-256, class, origin, reviewer, prediction, review time).</summary>
    public static string Sha256Of(IReadOnlyList<SnapshotObject> sortedObjects)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        foreach (var o in sortedObjects)
        {
            var reviewed = o.ReviewedAt?.ToUniversalTime().ToString("O", CultureInfo.InvariantCulture);
            var line = string.Join('\t', o.Key, o.Size.ToString(CultureInfo.InvariantCulture), o.Sha256, o.Class, o.Origin,
                o.Reviewer, o.PredictionId, o.PredictionKey, reviewed) + "\n";
            hash.AppendData(Encoding.UTF8.GetBytes(line));
        }

        return Convert.ToHexStringLower(hash.GetHashAndReset());
    }

    /// <summary>The object key of a version's manifest under <paramref name="prefix"/> ("" = the bucket's root).</summary>
    public static string KeyFor(string prefix, string version) => $"{PrefixFolder(prefix)}{Folder}/{version}.json";

    /// <summary>"" or "some/prefix/".</summary>
    public static string PrefixFolder(string prefix) => prefix.Trim('/') is { Length: > 0 } p ? p + "/" : "";

    /// <summary>Throws naming the value unless it looks like a dataset version (32 lower-case hex digits).</summary>
    public static string ValidateVersion(string version)
    {
        var trimmed = version.Trim();
        if (trimmed.Length != VersionLength || !trimmed.All(char.IsAsciiHexDigitLower))
        {
            throw new DryWetException($"--dataset '{version}' is not a dataset version: expected {VersionLength} lower-case hex digits, as in a run's dataset.version tag or ml-data/{Folder}/<version>.json.");
        }

        return trimmed;
    }

    public string ToJson() => JsonSerializer.Serialize(this, Json);

    /// <summary>Reads a stored manifest and checks that its objects still give its version (a hand-edited file is refused).</summary>
    public static DatasetManifest Parse(string json, string where)
    {
        DatasetManifest? manifest;
        try
        {
            manifest = JsonSerializer.Deserialize<DatasetManifest>(json, Json);
        }
        catch (JsonException ex)
        {
            throw new DryWetException($"Dataset manifest {where} is not readable JSON ({ex.Message}).", ex);
        }

        if (manifest?.Objects is null || manifest.Version is null)
        {
            throw new DryWetException($"Dataset manifest {where} has no version or objects.");
        }

        var sorted = manifest.Objects.OrderBy(o => o.Key, StringComparer.Ordinal).ToList();
        var digest = Digest(sorted);
        if (digest != manifest.Version)
        {
            throw new DryWetException($"Dataset manifest {where} says version {manifest.Version}, but its objects give {digest}: the file was changed; refusing it.");
        }

        return manifest with { Objects = sorted };
    }
}

using System.Data.Common;
using DryWet.AppHost.Mlflow;
using DryWet.AppHost.Platform;
using DryWet.AppHost.Serving;
using DryWet.AppHost.Trainer;

namespace DryWet.AppHost.Minio;

/// <summary>The parts of a <c>minio</c> connection string (<c>Endpoint=...;AccessKey=...;SecretKey=...</c>).</summary>
public sealed record MinioConnection(Uri Endpoint, string AccessKey, string SecretKey)
{
    public static MinioConnection Parse(string connectionString)
    {
        var parts = new DbConnectionStringBuilder { ConnectionString = connectionString };
        string Get(string key) => parts.TryGetValue(key, out var v) && v?.ToString() is { Length: > 0 } s
            ? s
            : throw new FormatException($"The minio connection string has no '{key}=' part (expected Endpoint=...;AccessKey=...;SecretKey=...).");

        var endpoint = Get("Endpoint");
        if (!Uri.TryCreate(endpoint, UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps))
        {
            throw new FormatException($"The minio connection string's Endpoint '{endpoint}' is not an absolute URL such as http://localhost:9000.");
        }

        return new(uri, Get("AccessKey"), Get("SecretKey"));
    }
}

using System.Data.Common;

namespace DryWet.Core.Storage;

/// <summary>
/// The <c>minio</c> connection string as Aspire passes it: <c>Endpoint=http://host:9000;AccessKey=...;SecretKey=...</c>
/// (keys are case-insensitive; <c>https://</c> turns TLS on; a missing scheme means http).
/// </summary>
public sealed record MinioConnectionString(Uri Endpoint, string AccessKey, string SecretKey)
{
    public bool UseSsl => Endpoint.Scheme == Uri.UriSchemeHttps;

    /// <summary>host:port, the form the Minio SDK's WithEndpoint expects.</summary>
    public string HostAndPort => $"{Endpoint.Host}:{Endpoint.Port}";

    public static MinioConnectionString Parse(string connectionString)
    {
        DbConnectionStringBuilder builder;
        try
        {
            builder = new DbConnectionStringBuilder { ConnectionString = connectionString };
        }
        catch (ArgumentException ex)
        {
            throw new DryWetException($"The minio connection string is malformed ({ex.Message}). Expected 'Endpoint=http://host:9000;AccessKey=...;SecretKey=...'.", ex);
        }

        string Get(string key) => builder.TryGetValue(key, out var value) && value?.ToString() is { Length: > 0 } s
            ? s
            : throw new DryWetException($"The minio connection string has no '{key}'. Expected 'Endpoint=http://host:9000;AccessKey=...;SecretKey=...'.");

        var endpointText = Get("Endpoint");
        if (!endpointText.Contains("://", StringComparison.Ordinal))
        {
            endpointText = "http://" + endpointText;
        }

        if (!Uri.TryCreate(endpointText, UriKind.Absolute, out var endpoint)
            || (endpoint.Scheme != Uri.UriSchemeHttp && endpoint.Scheme != Uri.UriSchemeHttps))
        {
            throw new DryWetException($"The minio connection string's Endpoint '{endpointText}' is not an http(s) URL, e.g. http://minio:9000.");
        }

        return new MinioConnectionString(endpoint, Get("AccessKey"), Get("SecretKey"));
    }

    /// <summary>Never prints the secret.</summary>
    public override string ToString() => $"Endpoint={Endpoint};AccessKey={AccessKey};SecretKey=***";
}

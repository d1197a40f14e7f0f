using System.Data.Common;

namespace DryWet.Core.Tracking.Mlflow;

/// <summary>The <c>mlflow</c> connection string: <c>Endpoint=http://mlflow:5000</c> (Aspire style) or a bare URL.</summary>
public static class MlflowConnectionString
{
    public static Uri Parse(string connectionString)
    {
        var text = connectionString.Trim();
        if (!text.Contains("://", StringComparison.Ordinal) || text.Contains('=', StringComparison.Ordinal))
        {
            try
            {
                var builder = new DbConnectionStringBuilder { ConnectionString = text };
                if (builder.TryGetValue("Endpoint", out var endpoint) && endpoint?.ToString() is { Length: > 0 } e)
                {
                    text = e;
                }
            }
            catch (ArgumentException)
            {
                // Not key=value: treat it as a URL below.
            }
        }

        if (!text.Contains("://", StringComparison.Ordinal))
        {
            text = "http://" + text;
        }

        if (!Uri.TryCreate(text, UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps))
        {
            throw new DryWetException($"The mlflow connection string '{connectionString}' is not an http(s) URL. Use 'Endpoint=http://mlflow:5000' or 'http://mlflow:5000'.");
        }

        return new Uri(uri.AbsoluteUri.EndsWith('/') ? uri.AbsoluteUri : uri.AbsoluteUri + "/");
    }
}

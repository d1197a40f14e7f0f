using System.Data.Common;
using System.Net.Http.Headers;
using System.Text;

namespace DryWet.Core.Tracking.Mlflow;

/// <summary>
/// The <c>mlflow</c> connection string: <c>Endpoint=http://mlflow:5000</c> (Aspire style, optionally with
/// <c>;Username=…;Password=…</c> for a server running MLflow's basic-auth app) or a bare URL.
/// </summary>
public static class MlflowConnectionString
{
    public static Uri Parse(string connectionString) => Read(connectionString).Endpoint;

    /// <summary>The endpoint and, when both are given, the basic-auth credentials. Errors never repeat the password.</summary>
    public static MlflowConnection Read(string connectionString)
    {
        var text = connectionString.Trim();
        string? username = null, password = null;
        if (!text.Contains("://", StringComparison.Ordinal) || text.Contains('=', StringComparison.Ordinal))
        {
            try
            {
                var builder = new DbConnectionStringBuilder { ConnectionString = text };
                if (builder.TryGetValue("Endpoint", out var endpoint) && endpoint?.ToString() is { Length: > 0 } e)
                {
                    text = e;
                }

                username = builder.TryGetValue("Username", out var u) ? u?.ToString() : null;
                password = builder.TryGetValue("Password", out var p) ? p?.ToString() : null;
            }
            catch (ArgumentException)
            {
                // Not key=value: treat it as a URL below.
            }
        }

        if (string.IsNullOrEmpty(username) != string.IsNullOrEmpty(password))
        {
            throw new DryWetException("The mlflow connection string has a Username without a Password or the other way round; give both (Endpoint=…;Username=…;Password=…) or neither.");
        }

        if (!text.Contains("://", StringComparison.Ordinal))
        {
            text = "http://" + text;
        }

        if (!Uri.TryCreate(text, UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps))
        {
            var shown = password is null ? connectionString : text;
            throw new DryWetException($"The mlflow connection string '{shown}' is not an http(s) URL. Use 'Endpoint=http://mlflow:5000' or 'http://mlflow:5000'.");
        }

        var root = new Uri(uri.AbsoluteUri.EndsWith('/') ? uri.AbsoluteUri : uri.AbsoluteUri + "/");
        return new MlflowConnection(root, string.IsNullOrEmpty(username) ? null : username, string.IsNullOrEmpty(password) ? null : password);
    }
}

/// <summary>An MLflow server and the basic-auth credentials to send it (none for a server without authentication).</summary>
public sealed record MlflowConnection(Uri Endpoint, string? Username, string? Password)
{
    /// <summary>The Authorization header MLflow's basic-auth app expects, or null without credentials.</summary>
    public AuthenticationHeaderValue? Authorization => Username is null || Password is null
        ? null
        : new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"{Username}:{Password}")));

    /// <summary>Never the password: this record may end up in a log.</summary>
    public override string ToString() => Username is null ? Endpoint.AbsoluteUri : $"{Endpoint.AbsoluteUri} (user {Username})";
}

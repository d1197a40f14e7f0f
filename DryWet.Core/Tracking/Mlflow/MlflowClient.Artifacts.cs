using DryWet.Core.Storage;

namespace DryWet.Core.Tracking.Mlflow;

// The tracking server's artifact proxy (mlflow/protos/mlflow_artifacts.proto), used when a run's artifact_uri is
// mlflow-artifacts:/... (the default of `mlflow server`, which serves artifacts unless --no-serve-artifacts).
public sealed partial class MlflowClient
{
    public const string ArtifactsScheme = "mlflow-artifacts";
    private const string ProxyApi = "api/2.0/mlflow-artifacts/artifacts";

    public static bool IsProxyUri(string artifactUri) =>
        artifactUri.StartsWith(ArtifactsScheme + ":", StringComparison.OrdinalIgnoreCase);

    /// <summary>
    /// Maps <c>mlflow-artifacts:/1/&lt;run&gt;/artifacts</c> (+ a relative path) to the proxy URL
    /// <c>&lt;tracking base&gt;/api/2.0/mlflow-artifacts/artifacts/1/&lt;run&gt;/artifacts/...</c>; a URI that names a host
    /// (<c>mlflow-artifacts://host:port/...</c>) is sent to that host, as MLflow's own client does.
    /// </summary>
    public Uri ArtifactProxyUri(string artifactUri, string? relativePath = null)
    {
        var (baseUri, path) = SplitProxyUri(artifactUri);
        var full = Join(path, relativePath);
        var escaped = string.Join('/', full.Split('/', StringSplitOptions.RemoveEmptyEntries).Select(Uri.EscapeDataString));
        return new Uri(baseUri, $"{ProxyApi}/{escaped}");
    }

    /// <summary>Uploads one file (raw bytes, streamed). PUT is idempotent, so transient failures are retried.</summary>
    public async Task UploadArtifactAsync(string artifactUri, string relativePath, string localFile, CancellationToken cancellationToken = default)
    {
        ValidateRelative(relativePath);
        await using var stream = new FileStream(localFile, FileMode.Open, FileAccess.Read, FileShare.Read, 81920, useAsync: true);
        using var request = new HttpRequestMessage(HttpMethod.Put, ArtifactProxyUri(artifactUri, relativePath))
        {
            // A seekable stream: the retry handler can send it again from the start.
            Content = new StreamContent(stream),
        };
        request.Content.Headers.ContentType = new("application/octet-stream");
        using var response = await SendAsync(request, $"artifact upload {relativePath}", System.Net.Http.HttpCompletionOption.ResponseContentRead, cancellationToken);
    }

    /// <summary>Downloads one file atomically (temp file + rename).</summary>
    public async Task DownloadArtifactAsync(string artifactUri, string relativePath, string localFile, CancellationToken cancellationToken = default)
    {
        ValidateRelative(relativePath);
        await AtomicFile.WriteAsync(localFile, async (target, ct) =>
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, ArtifactProxyUri(artifactUri, relativePath));
            using var response = await SendAsync(request, $"artifact download {relativePath}", System.Net.Http.HttpCompletionOption.ResponseHeadersRead, ct);
            await using var source = await response.Content.ReadAsStreamAsync(ct);
            await source.CopyToAsync(target, ct);
        }, cancellationToken);
    }

    /// <summary>Lists every file under the artifact URI (recursively), with paths relative to it.</summary>
    public async Task<IReadOnlyList<MlflowFileInfo>> ListArtifactsRecursiveAsync(string artifactUri, CancellationToken cancellationToken = default)
    {
        var (baseUri, root) = SplitProxyUri(artifactUri);
        var files = new List<MlflowFileInfo>();
        var pending = new Stack<string>();
        pending.Push("");
        while (pending.Count > 0)
        {
            var relativeDir = pending.Pop();
            var dir = Join(root, relativeDir);
            var url = new Uri(baseUri, $"{ProxyApi}?path={Uri.EscapeDataString(dir)}");
            var response = await SendJsonAsync<ProxyListResponse>(HttpMethod.Get, url.AbsoluteUri, null, retrySafe: true, "artifact list", cancellationToken);
            foreach (var file in response.Files ?? [])
            {
                // The proxy answers base names (handlers.py _list_artifacts_mlflow_artifacts); tolerate full paths too.
                var name = file.Path.Contains('/') ? file.Path[(file.Path.LastIndexOf('/') + 1)..] : file.Path;
                var relative = Join(relativeDir, name);
                if (file.IsDir)
                {
                    pending.Push(relative);
                }
                else
                {
                    files.Add(file with { Path = relative });
                }
            }
        }

        return files.OrderBy(f => f.Path, StringComparer.Ordinal).ToList();
    }

    private (Uri BaseUri, string Path) SplitProxyUri(string artifactUri)
    {
        if (!IsProxyUri(artifactUri))
        {
            throw new DryWetException($"'{artifactUri}' is not an mlflow-artifacts: URI. Start the MLflow server with artifact serving (the default) or configure an s3:// artifact root reachable through ConnectionStrings:minio.");
        }

        var rest = artifactUri[(ArtifactsScheme.Length + 1)..];
        var baseUri = BaseAddress;
        if (rest.StartsWith("//", StringComparison.Ordinal))
        {
            // mlflow-artifacts://host:port/path: the URI names the server to use.
            var slash = rest.IndexOf('/', 2);
            var authority = slash < 0 ? rest[2..] : rest[2..slash];
            rest = slash < 0 ? "" : rest[slash..];
            if (authority.Length > 0)
            {
                baseUri = new Uri($"{BaseAddress.Scheme}://{authority}/");
            }
        }

        return (baseUri, rest.Trim('/'));
    }

    private static string Join(string left, string? right) =>
        string.IsNullOrEmpty(right) ? left : string.IsNullOrEmpty(left) ? right.Trim('/') : $"{left.TrimEnd('/')}/{right.Trim('/')}";

    private static void ValidateRelative(string relativePath)
    {
        if (relativePath.Split('/').Any(s => s is ".." or ".") || relativePath.StartsWith('/') || relativePath.Contains('\\'))
        {
            throw new DryWetException($"Artifact path '{relativePath}' is invalid: use a relative '/'-separated path without '.' or '..'.");
        }
    }
}

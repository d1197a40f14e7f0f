using System.Globalization;
using System.Security.Cryptography;
using DryWet.Core;

namespace DryWet.TrainingWorker.Model;

/// <summary>
/// Downloads a weights file once into a cache folder, as torch.hub does: streamed to a temporary file in the cache,
/// SHA-256 checked against the prefix in the file name, then renamed into place, so the cache never holds a partial
/// or unverified file. A cached file is re-verified before use. Progress (bytes, percent) goes to <c>report</c>.
/// </summary>
public sealed class WeightsDownloader(HttpClient http, string cacheDirectory, Action<string> report)
{
    /// <summary>How often a progress line is written at most (plus one at every 10 %).</summary>
    private static readonly TimeSpan ProgressInterval = TimeSpan.FromSeconds(5);

    public string CacheDirectory => cacheDirectory;

    /// <summary>The cached file for <paramref name="url"/>, downloading it first when it is missing or fails its hash.</summary>
    /// <exception cref="DryWetException">Unreachable server, HTTP error, truncated body or hash mismatch; names the URL and the cache path.</exception>
    public async Task<string> GetAsync(Uri url, string fileName, string alternative, CancellationToken cancellationToken)
    {
        var target = Path.Combine(cacheDirectory, fileName);
        var expected = ImageNetWeights.HashPrefix(fileName);
        if (File.Exists(target))
        {
            if (expected is null || (await Sha256Async(target, cancellationToken)).StartsWith(expected, StringComparison.Ordinal))
            {
                report($"Pretrained weights: using the cached {target}.");
                return target;
            }

            report($"Pretrained weights: the cached {target} does not match its hash prefix {expected}; downloading it again.");
            File.Delete(target);
        }

        Directory.CreateDirectory(cacheDirectory);
        var partial = Path.Combine(cacheDirectory, $"{fileName}.partial-{Guid.NewGuid():N}");
        try
        {
            var hash = await DownloadAsync(url, partial, target, alternative, cancellationToken);
            if (expected is not null && !hash.StartsWith(expected, StringComparison.Ordinal))
            {
                throw Failure(url, target, alternative,
                    $"the downloaded file's SHA-256 is {hash[..Math.Min(16, hash.Length)]}…, but its name promises a hash starting with {expected}: the file is corrupt or not the one named");
            }

            File.Move(partial, target, overwrite: true);
            report($"Pretrained weights: {fileName} verified (SHA-256 {hash[..8]}…) and cached at {target}.");
            return target;
        }
        finally
        {
            File.Delete(partial);
        }
    }

    private async Task<string> DownloadAsync(Uri url, string partial, string target, string alternative, CancellationToken ct)
    {
        report($"Pretrained weights: downloading {url} to {target} …");
        HttpResponseMessage response;
        try
        {
            response = await http.GetAsync(url, HttpCompletionOption.ResponseHeadersRead, ct);
        }
        catch (HttpRequestException ex)
        {
            throw Failure(url, target, alternative, $"the server cannot be reached ({ex.Message})", ex);
        }
        catch (TaskCanceledException ex) when (!ct.IsCancellationRequested)
        {
            throw Failure(url, target, alternative, "the server did not answer in time", ex);
        }

        using (response)
        {
            if (!response.IsSuccessStatusCode)
            {
                throw Failure(url, target, alternative, $"the server answered HTTP {(int)response.StatusCode} {response.ReasonPhrase}");
            }

            var length = response.Content.Headers.ContentLength;
            using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
            long received = 0;
            try
            {
                await using var body = await response.Content.ReadAsStreamAsync(ct);
                await using var file = new FileStream(partial, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16, useAsync: true);
                var buffer = new byte[1 << 16];
                var lastReport = System.Diagnostics.Stopwatch.StartNew();
                var lastDecile = 0;
                int read;
                while ((read = await body.ReadAsync(buffer, ct)) > 0)
                {
                    sha.AppendData(buffer, 0, read);
                    await file.WriteAsync(buffer.AsMemory(0, read), ct);
                    received += read;
                    var decile = length is > 0 ? (int)(received * 10 / length.Value) : 0;
                    if (decile > lastDecile || lastReport.Elapsed >= ProgressInterval)
                    {
                        report(Progress(url, received, length));
                        lastDecile = decile;
                        lastReport.Restart();
                    }
                }
            }
            catch (Exception ex) when (ex is HttpRequestException or IOException && !ct.IsCancellationRequested)
            {
                throw Failure(url, target, alternative, $"the download broke off after {received:N0} bytes ({ex.Message})", ex);
            }

            if (length is { } expectedLength && received != expectedLength)
            {
                throw Failure(url, target, alternative, $"the download is truncated: {received:N0} of {expectedLength:N0} bytes");
            }

            return Convert.ToHexStringLower(sha.GetHashAndReset());
        }
    }

    private static string Progress(Uri url, long received, long? length) => length is > 0
        ? string.Create(CultureInfo.InvariantCulture, $"Pretrained weights: {received / 1e6:F1} of {length.Value / 1e6:F1} MB ({100.0 * received / length.Value:F0} %) from {url.Host}")
        : string.Create(CultureInfo.InvariantCulture, $"Pretrained weights: {received / 1e6:F1} MB from {url.Host}");

    private static async Task<string> Sha256Async(string path, CancellationToken ct)
    {
        await using var stream = File.OpenRead(path);
        return Convert.ToHexStringLower(await SHA256.HashDataAsync(stream, ct));
    }

    private static DryWetException Failure(Uri url, string target, string alternative, string what, Exception? inner = null)
    {
        var message = $"Could not get pretrained weights from {url}: {what}. Nothing was cached at {target}. {alternative}";
        return inner is null ? new DryWetException(message) : new DryWetException(message, inner);
    }
}

using System.Diagnostics;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;

namespace DryWet.Web.Serving;

/// <summary>Typed client for DryWet.Serving, found by service discovery (<c>http://serving</c>) as eShop's WebApp finds its APIs.</summary>
public sealed class ServingClient(HttpClient http, ILogger<ServingClient> logger)
{
    /// <summary>
    /// Streams the image to serving as its multipart field <c>file</c> (no copy in memory here; sized when the stream
    /// can seek); any 4xx/5xx comes back as serving's own message.
    /// </summary>
    public async Task<PredictionOutcome> PredictAsync(Stream image, string fileName, string? contentType, CancellationToken cancellationToken)
    {
        using var content = new StreamContent(image);
        content.Headers.ContentType = MediaTypeHeaderValue.TryParse(contentType, out var type) ? type : new MediaTypeHeaderValue("application/octet-stream");
        using var form = new MultipartFormDataContent { { content, "file", SafeFileName(fileName) } };
        var started = Stopwatch.GetTimestamp();
        try
        {
            using var response = await http.PostAsync("predict", form, cancellationToken);
            var latency = Stopwatch.GetElapsedTime(started);
            if (response.IsSuccessStatusCode)
            {
                var answer = await response.Content.ReadFromJsonAsync<PredictionAnswer>(ServingJson.Options, cancellationToken);
                return answer is null ? PredictionOutcome.Failure("Serving answered with an empty body.") : PredictionOutcome.Success(answer, latency);
            }

            return PredictionOutcome.Failure(await ErrorMessageAsync(response, cancellationToken), (int)response.StatusCode);
        }
        catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException && !cancellationToken.IsCancellationRequested)
        {
            logger.LogWarning(ex, "Serving at {Address} did not answer /predict", http.BaseAddress);
            return PredictionOutcome.Failure($"Serving at {http.BaseAddress} did not answer: {ex.Message}. Is the serving resource running?");
        }
    }

    /// <summary><c>GET /model/info</c>; null with the reason when nothing is loaded or serving is down.</summary>
    public async Task<(ServingModelInfo? Info, string? Problem)> GetModelInfoAsync(CancellationToken cancellationToken)
    {
        try
        {
            using var response = await http.GetAsync("model/info", cancellationToken);
            if (!response.IsSuccessStatusCode)
            {
                return (null, await ErrorMessageAsync(response, cancellationToken));
            }

            return (await response.Content.ReadFromJsonAsync<ServingModelInfo>(ServingJson.Options, cancellationToken), null);
        }
        catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException && !cancellationToken.IsCancellationRequested)
        {
            return (null, $"Serving at {http.BaseAddress} did not answer: {ex.Message}");
        }
    }

    private static async Task<string> ErrorMessageAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        var text = await response.Content.ReadAsStringAsync(cancellationToken);
        try
        {
            var body = JsonSerializer.Deserialize<ServingErrorBody>(text, ServingJson.Options);
            if (!string.IsNullOrWhiteSpace(body?.Error))
            {
                return body.Reason is { Length: > 0 } reason ? $"{body.Error} ({reason})" : body.Error;
            }
        }
        catch (JsonException)
        {
            // Not serving's JSON (e.g. a gateway page): show the status and the start of the text below.
        }

        var snippet = text.Length > 200 ? text[..200] + "…" : text;
        return $"Serving answered HTTP {(int)response.StatusCode} {response.ReasonPhrase}: {snippet}";
    }

    // Browsers send names like "C:\fakepath\x.jpg" or pasted blobs with none; serving only logs it.
    private static string SafeFileName(string name) => string.IsNullOrWhiteSpace(name) ? "upload" : Path.GetFileName(name.Replace('\\', '/'));
}

using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using DryWet.Benchmarks.Serving;

namespace DryWet.Benchmarks.Abuse;

/// <summary>
/// The requests the benchmark sends, built once (bodies are shared byte arrays; each message is new): valid and
/// hostile uploads to <c>/predict</c>, the empty OIP tensor, the reload with the admin key, anonymous thumbnails.
/// </summary>
internal sealed class AbuseRequests
{
    private readonly Uri _serving;
    private readonly Uri _web;
    private readonly string _adminKey;
    private readonly Uri _infer;

    private AbuseRequests(Uri serving, Uri web, string adminKey, Uri infer, string oipEmpty)
    {
        _serving = serving;
        _web = web;
        _adminKey = adminKey;
        _infer = infer;
        OipEmpty = oipEmpty;
        TruncatedJpeg = HostileImages.Truncated(Jpeg);
    }

    public byte[] Jpeg { get; } = BenchmarkImages.Road(1280, 720);
    public byte[] BmpBomb { get; } = HostileImages.Rle8BmpBomb();
    public byte[] PngBomb { get; } = HostileImages.PngBomb();
    public byte[] TruncatedJpeg { get; }
    public byte[] Text { get; } = HostileImages.NotAnImage();
    public string OipEmpty { get; }

    /// <summary>The shape the empty OIP tensor declares, e.g. <c>[64,3,96,96]</c>.</summary>
    public string OipShape { get; private init; } = "";

    /// <summary>Reads the served model's name, input name and size from <c>/model/info</c> for the OIP request.</summary>
    public static async Task<AbuseRequests> CreateAsync(HttpClient client, Uri serving, Uri web, string adminKey)
    {
        using var info = JsonDocument.Parse(await client.GetStringAsync(new Uri(serving, "/model/info")));
        var root = info.RootElement;
        var name = root.GetProperty("model_name").GetString()!;
        var input = root.GetProperty("input_name").GetString()!;
        var height = root.GetProperty("input_height").GetInt32();
        var width = root.GetProperty("input_width").GetInt32();
        return new AbuseRequests(serving, web, adminKey, new Uri(serving, $"/v2/models/{Uri.EscapeDataString(name)}/infer"),
            HostileImages.EmptyOipRequest(input, 64, height, width))
        {
            OipShape = $"[64,3,{height},{width}]",
        };
    }

    public HttpRequestMessage Predict(byte[] body, string contentType = "image/jpeg", string fileName = "frame.jpg")
    {
        var file = new ByteArrayContent(body);
        file.Headers.ContentType = new MediaTypeHeaderValue(contentType);
        return new HttpRequestMessage(HttpMethod.Post, new Uri(_serving, "/predict"))
        {
            Content = new MultipartFormDataContent { { file, "file", fileName } },
        };
    }

    public HttpRequestMessage PredictBmpBomb() => Predict(BmpBomb, "image/bmp", "bomb.bmp");

    public HttpRequestMessage PredictPngBomb() => Predict(PngBomb, "image/png", "bomb.png");

    public HttpRequestMessage Oip() => new(HttpMethod.Post, _infer) { Content = new StringContent(OipEmpty, Encoding.UTF8, "application/json") };

    public HttpRequestMessage Reload()
    {
        var message = new HttpRequestMessage(HttpMethod.Post, new Uri(_serving, "/model/reload"));
        message.Headers.Authorization = new AuthenticationHeaderValue("Bearer", _adminKey);
        return message;
    }

    /// <summary>A thumbnail of a logged prediction, asked for without any cookie (the web client sends none).</summary>
    public HttpRequestMessage Thumbnail(LoggedBomb bomb) => new(HttpMethod.Get, new Uri(_web, $"/review/thumbnails/{bomb.Date}/{bomb.Id}"));
}

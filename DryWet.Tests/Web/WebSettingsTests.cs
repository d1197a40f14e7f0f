using System.Globalization;
using System.Net;
using System.Text.RegularExpressions;
using DryWet.Tests.Serving;

namespace DryWet.Tests.Web;

/// <summary>The web app's own settings: a misspelt key stops the start; the upload limit answers 413 with both sizes.</summary>
[Collection(WebCollection.Name)]
public sealed partial class WebSettingsTests(WebPlatformFixture platform)
{
    [Fact]
    public async Task A_misspelt_Web_setting_stops_the_start_naming_the_key()
    {
        var failure = await Should.ThrowAsync<InvalidOperationException>(() =>
            platform.StartWebAsync(platform.Home, settings: new Dictionary<string, string> { ["Web__ServingUlr"] = "http://localhost:5001" }));

        failure.Message.ShouldContain("Web:ServingUlr: unknown key (did you mean 'ServingUrl'?)");
    }

    [Fact]
    public async Task A_bad_serving_url_stops_the_start_naming_the_value()
    {
        var failure = await Should.ThrowAsync<InvalidOperationException>(() =>
            platform.StartWebAsync(platform.Home, settings: new Dictionary<string, string> { ["Web__ServingUrl"] = "serving:5001" }));

        failure.Message.ShouldContain("Web:ServingUrl = 'serving:5001' is not an http(s) URL");
    }

    [Theory]
    [InlineData("Web__DecodeMemoryBudgetMB", "100", "Web:DecodeMemoryBudgetMB = 100 must hold the decode of one image of Web:MaxImagePixels = 40000000 sent as Web:MaxUploadBytes")]
    [InlineData("Web__KnownProxies__0", "gateway", "Web:KnownProxies has 'gateway', which is neither an IP address nor a CIDR network")]
    [InlineData("Web__PublicReview", "yes", "Web:PublicReview = 'yes' is not true or false")]
    public async Task A_bad_privacy_or_decode_setting_stops_the_start_naming_it(string key, string value, string message)
    {
        var failure = await Should.ThrowAsync<InvalidOperationException>(() =>
            platform.StartWebAsync(platform.Home, settings: new Dictionary<string, string> { [key] = value }));

        failure.Message.ShouldContain(message);
    }

    [Fact]
    public async Task An_upload_over_the_limit_gets_413_with_the_sizes_not_an_error_page_sized_or_chunked()
    {
        await using var web = await platform.StartWebAsync(platform.Home, settings: new Dictionary<string, string> { ["Web__MaxUploadBytes"] = "1000" });
        using var client = new HttpClient { BaseAddress = web.Address };
        var image = TestImages.NoisyPhoto(800, 600); // hundreds of KB: well past the limit and its 64 KB allowance for the other fields

        using var response = await client.PostAsync("", ServingApp.ImageForm(image), Ct);

        response.StatusCode.ShouldBe(HttpStatusCode.RequestEntityTooLarge);
        var body = await response.Content.ReadAsStringAsync(Ct);
        body.ShouldContain("this page accepts images up to 1000 bytes (Web:MaxUploadBytes)");

        // Without a Content-Length the size shows only while reading: the form is read before the page, and the form
        // reader's limit is the same 413 (not the page's "expired form" 400 it would otherwise surface as).
        using var form = ServingApp.ImageForm(image);
        using var chunked = new StreamContent(await form.ReadAsStreamAsync(Ct)) { Headers = { ContentType = form.Headers.ContentType } };
        using var request = new HttpRequestMessage(HttpMethod.Post, "") { Content = chunked };
        request.Headers.TransferEncodingChunked = true;
        using var chunkedResponse = await client.SendAsync(request, Ct);

        var chunkedBody = WebUtility.HtmlDecode(await chunkedResponse.Content.ReadAsStringAsync(Ct));
        chunkedResponse.StatusCode.ShouldBe(HttpStatusCode.RequestEntityTooLarge, chunkedBody);
        chunkedBody.ShouldContain($"Multipart body length limit {1000 + 64 * 1024} exceeded");
        chunkedBody.ShouldContain("this page accepts images up to 1000 bytes (Web:MaxUploadBytes)");
    }

    /// <summary>
    /// Kestrel caps every body at 30,000,000 bytes unless told otherwise; a larger <c>Web:MaxUploadBytes</c> raises that
    /// cap, so an upload between the two reaches serving (streamed from the form's buffer) and its answer is shown —
    /// here serving's own 413, its limit being 20 MB.
    /// </summary>
    [Fact]
    public async Task A_MaxUploadBytes_above_Kestrels_default_cap_lets_such_an_upload_through_to_serving()
    {
        await using var web = await platform.StartWebAsync(platform.Home, settings: new Dictionary<string, string>
        {
            ["Web__MaxUploadBytes"] = (40 * 1024 * 1024).ToString(CultureInfo.InvariantCulture),
            ["Web__DecodeMemoryBudgetMB"] = "512",
        });
        using var client = new HttpClient(new HttpClientHandler { CookieContainer = new CookieContainer() }) { BaseAddress = web.Address };
        var page = await client.GetStringAsync("", Ct);
        var token = WebUtility.HtmlDecode(AntiforgeryToken().Match(page).Groups["token"].Value);
        token.ShouldNotBeNullOrEmpty("the try-it page has an antiforgery token");
        var upload = new byte[31 * 1024 * 1024]; // over Kestrel's default cap, under the 40 MB set here
        using var form = new MultipartFormDataContent
        {
            { new StringContent("upload"), "_handler" },
            { new StringContent(token), "__RequestVerificationToken" },
            { new ByteArrayContent(upload) { Headers = { ContentType = new("image/jpeg") } }, "file", "huge.jpg" },
        };

        using var response = await client.PostAsync("", form, Ct);

        var body = WebUtility.HtmlDecode(await response.Content.ReadAsStringAsync(Ct));
        response.StatusCode.ShouldBe(HttpStatusCode.OK, body);
        var seen = Regex.Match(body, "The request body is (?<bytes>[0-9]+) bytes");
        seen.Success.ShouldBeTrue(body);
        long.Parse(seen.Groups["bytes"].Value, CultureInfo.InvariantCulture).ShouldBeGreaterThan(upload.Length); // all of it, with its length
        body.ShouldContain("the limit is 20971520 bytes (Serving:MaxRequestBodyBytes)");
    }

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [GeneratedRegex("name=\"__RequestVerificationToken\"[^>]*value=\"(?<token>[^\"]+)\"")]
    private static partial Regex AntiforgeryToken();
}

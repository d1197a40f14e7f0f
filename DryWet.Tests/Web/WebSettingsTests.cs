using System.Net;
using DryWet.Tests.Serving;

namespace DryWet.Tests.Web;

/// <summary>The web app's own settings: a misspelt key stops the start; the upload limit answers 413 with both sizes.</summary>
[Collection(WebCollection.Name)]
public sealed class WebSettingsTests(WebPlatformFixture platform)
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
    public async Task An_upload_over_the_limit_gets_413_with_the_sizes_not_an_error_page()
    {
        await using var web = await platform.StartWebAsync(platform.Home, settings: new Dictionary<string, string> { ["Web__MaxUploadBytes"] = "1000" });
        using var client = new HttpClient { BaseAddress = web.Address };
        var image = TestImages.NoisyPhoto(800, 600); // hundreds of KB: well past the limit and its 64 KB allowance for the other fields

        using var response = await client.PostAsync("", ServingApp.ImageForm(image), TestContext.Current.CancellationToken);

        response.StatusCode.ShouldBe(HttpStatusCode.RequestEntityTooLarge);
        var body = await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);
        body.ShouldContain("this page accepts images up to 1000 bytes (Web:MaxUploadBytes)");
    }
}

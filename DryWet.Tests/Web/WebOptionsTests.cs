using DryWet.Core;
using DryWet.Web;
using Microsoft.Extensions.Configuration;

namespace DryWet.Tests.Web;

/// <summary>
/// Section <c>Web</c> bound through Core's OptionsBinding (in process, no web app started): the defaults a user gets,
/// typed values, and every misspelt key, unconvertible or invalid value named in one start-up error.
/// </summary>
public sealed class WebOptionsTests
{
    private static IConfiguration Settings(params (string Key, string Value)[] values) =>
        new ConfigurationBuilder().AddInMemoryCollection(values.Select(v => new KeyValuePair<string, string?>(v.Key, v.Value))).Build();

    [Fact]
    public void Without_settings_the_defaults_are_the_documented_ones()
    {
        var options = WebOptions.FromConfiguration(Settings());

        options.ServingUrl.ShouldBe(new Uri("http://serving"));
        options.AdminApiKey.ShouldBe("");
        options.PathBase.ShouldBe("");
        options.ModelName.ShouldBe("dry_wet_model");
        options.MaxUploadBytes.ShouldBe(20_971_520);
        options.CacheDirectory.ShouldBe("");
        options.PublicReview.ShouldBeFalse();
        options.MaxImagePixels.ShouldBe(40_000_000);
        options.DecodeMemoryBudgetMB.ShouldBe(192);
        options.SignInPermitsPerMinute.ShouldBe(10);
        options.KnownProxies.ShouldBeEmpty();
    }

    [Fact]
    public void Given_values_are_bound_typed()
    {
        var options = WebOptions.FromConfiguration(Settings(("Web:ServingUrl", "http://localhost:5001"), ("Web:PublicReview", "true"),
            ("Web:MaxUploadBytes", "1000"), ("Web:KnownProxies:0", "10.0.0.0/8"), ("Web:KnownProxies:1", "192.168.1.7"), ("Web:PathBase", "/dry-wet-ui")));

        options.ServingUrl.ShouldBe(new Uri("http://localhost:5001"));
        options.PublicReview.ShouldBeTrue();
        options.MaxUploadBytes.ShouldBe(1000);
        options.KnownProxies.ShouldBe(["10.0.0.0/8", "192.168.1.7"]);
        options.PathBase.ShouldBe("/dry-wet-ui");
    }

    [Fact]
    public void Every_problem_is_named_in_one_error_with_its_key_and_the_valid_values()
    {
        var error = Should.Throw<DryWetException>(() => WebOptions.FromConfiguration(Settings(
            ("Web:PublicReveiw", "true"),
            ("Web:Colour", "blue"),
            ("Web:SignInPermitsPerMinute", "ten"),
            ("Web:MaxImagePixels", "1e9"))));

        error.Message.ShouldContain("Web:PublicReveiw: unknown key (did you mean 'PublicReview'?)");
        error.Message.ShouldContain("Web:Colour: unknown key (valid keys here: ServingUrl, AdminApiKey, PathBase, ModelName, MaxUploadBytes, CacheDirectory, PublicReview, MaxImagePixels, DecodeMemoryBudgetMB, SignInPermitsPerMinute, KnownProxies)");
        error.Message.ShouldContain("Web:SignInPermitsPerMinute = 'ten' is not a whole number");
        error.Message.ShouldContain("Web:MaxImagePixels = '1e9' is not a whole number");
    }

    [Theory]
    [InlineData("Web:ServingUrl", "serving:5001", "Web:ServingUrl = 'serving:5001' is not an http(s) URL; use e.g. http://serving")]
    [InlineData("Web:ServingUrl", "/relative", "Web:ServingUrl = '/relative' is not an http(s) URL")]
    [InlineData("Web:PathBase", "dry-wet-ui/", "Web:PathBase = 'dry-wet-ui/' must start with '/' and not end with one")]
    [InlineData("Web:ModelName", " ", "Web:ModelName is empty")]
    [InlineData("Web:MaxUploadBytes", "0", "Web:MaxUploadBytes = 0 must be positive")]
    [InlineData("Web:MaxUploadBytes", "1073741825", "Web:MaxUploadBytes = 1073741825 must be positive and at most 1073741824 (1 GiB) bytes")]
    [InlineData("Web:MaxImagePixels", "-1", "Web:MaxImagePixels = -1 must be positive")]
    [InlineData("Web:DecodeMemoryBudgetMB", "100", "Web:DecodeMemoryBudgetMB = 100 must hold the decode of one image of Web:MaxImagePixels = 40000000")]
    [InlineData("Web:SignInPermitsPerMinute", "0", "Web:SignInPermitsPerMinute = 0 must be positive")]
    [InlineData("Web:KnownProxies:0", "gateway", "Web:KnownProxies has 'gateway', which is neither an IP address nor a CIDR network")]
    [InlineData("Web:PublicReview", "yes", "Web:PublicReview = 'yes' is not true or false")]
    public void A_bad_value_stops_the_start_naming_key_and_value(string key, string value, string message) =>
        Should.Throw<DryWetException>(() => WebOptions.FromConfiguration(Settings((key, value)))).Message.ShouldContain(message);
}

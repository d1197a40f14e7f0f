using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text.RegularExpressions;
using DryWet.Tests.Storage;
using DryWet.Web.Models;

namespace DryWet.Tests.Web;

/// <summary>
/// Sign-in and the headers around it, each against its own web app (sign-in is rate-limited per address): redirects
/// stay on the site, the 11th attempt in a minute gets 429, the cookie is Secure over HTTPS and behind a TLS-terminating
/// gateway, and a package's SVG report cannot run its script.
/// </summary>
[Collection(WebCollection.Name)]
public sealed partial class SignInSecurityTests(WebPlatformFixture platform)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_return_url_off_this_site_lands_on_the_root_and_one_on_it_is_kept_with_its_query()
    {
        await using var web = await platform.StartWebAsync(platform.Home);
        using var browser = new FormClient(web.Address);

        // Browsers drop a tab and read a backslash as a slash: "/\t/evil.example" and "/\\evil" would leave the site.
        foreach (var offSite in new[] { "\t/evil.example", "//evil.example", "/\\evil.example", "https://evil.example/", "javascript:alert(1)", "review\r\nLocation: //evil.example" })
        {
            using var response = await browser.SignInAsync(WebPlatformFixture.AdminKey, offSite);
            response.StatusCode.ShouldBe(HttpStatusCode.Redirect, offSite);
            response.Headers.Location!.OriginalString.ShouldBe("/", offSite);
        }

        using (var wrong = await browser.SignInAsync("not-the-key", "review?class=wet&sort=newest"))
        {
            wrong.Headers.Location!.OriginalString.ShouldBe("/signin?problem=wrong&returnUrl=review%3Fclass%3Dwet%26sort%3Dnewest");
        }

        using var right = await browser.SignInAsync(WebPlatformFixture.AdminKey, "/review?class=wet&sort=newest");
        right.Headers.Location!.OriginalString.ShouldBe("/review?class=wet&sort=newest");
    }

    [Fact]
    public async Task The_eleventh_sign_in_attempt_in_a_minute_gets_429_with_retry_after_before_the_key_is_checked()
    {
        await using var web = await platform.StartWebAsync(platform.Home);
        using var browser = new FormClient(web.Address);

        for (var i = 1; i <= 10; i++)
        {
            using var attempt = await browser.SignInAsync($"guess-{i}", "review");
            attempt.StatusCode.ShouldBe(HttpStatusCode.Redirect, $"attempt {i}");
            attempt.Headers.Location!.OriginalString.ShouldStartWith("/signin?problem=wrong");
        }

        using var limited = await browser.SignInAsync(WebPlatformFixture.AdminKey, "review");
        limited.StatusCode.ShouldBe(HttpStatusCode.TooManyRequests);
        limited.Headers.RetryAfter!.Delta!.Value.TotalSeconds.ShouldBeInRange(1, 60);
        (await limited.Content.ReadAsStringAsync(Ct)).ShouldContain("Too many sign-in attempts from this address (10 a minute, Web:SignInPermitsPerMinute)");
        limited.Headers.TryGetValues("Set-Cookie", out var cookies).ShouldBeFalse($"no session for a limited attempt: {string.Join("; ", cookies ?? [])}");
    }

    [Fact]
    public async Task The_session_cookie_is_Secure_behind_a_TLS_terminating_gateway_and_not_over_plain_http()
    {
        await using var web = await platform.StartWebAsync(platform.Home);
        using var browser = new FormClient(web.Address);

        using var plain = await browser.SignInAsync(WebPlatformFixture.AdminKey, "review");
        using var gateway = await browser.SignInAsync(WebPlatformFixture.AdminKey, "review", forwardedProto: "https");

        var plainCookie = ReviewerCookie(plain);
        plainCookie.ShouldContain("httponly");
        plainCookie.ShouldContain("samesite=strict");
        plainCookie.ShouldNotContain("secure");
        var gatewayCookie = ReviewerCookie(gateway);
        gatewayCookie.ShouldContain("secure");
        gatewayCookie.ShouldContain("httponly");
    }

    [Fact]
    public async Task The_session_cookie_is_Secure_over_https()
    {
        var folder = TestFolders.NewTempDirectory("drywet-web-tls");
        try
        {
            using var certificate = WriteSelfSignedCertificate(folder);
            await using var web = await platform.StartWebAsync(platform.Home, settings: new Dictionary<string, string>
            {
                ["ASPNETCORE_URLS"] = "https://127.0.0.1:0",
                ["Kestrel__Certificates__Default__Path"] = Path.Combine(folder, "cert.pem"),
                ["Kestrel__Certificates__Default__KeyPath"] = Path.Combine(folder, "key.pem"),
            });
            web.Address.Scheme.ShouldBe("https");
            using var browser = new FormClient(web.Address, certificate.Thumbprint);

            using var response = await browser.SignInAsync(WebPlatformFixture.AdminKey, "review");

            response.StatusCode.ShouldBe(HttpStatusCode.Redirect);
            ReviewerCookie(response).ShouldContain("secure");
        }
        finally
        {
            TestFolders.DeleteQuietly(folder);
        }
    }

    [Fact]
    public async Task A_package_svg_with_a_script_is_served_sandboxed_and_its_script_does_not_run()
    {
        var cache = TestFolders.NewTempDirectory("drywet-web-cache");
        try
        {
            await using var web = await platform.StartWebAsync(platform.Home, settings: new Dictionary<string, string> { ["Web__CacheDirectory"] = cache });
            using var client = new HttpClient { BaseAddress = web.Address };
            // The first request downloads version 1's package into this app's cache; a hostile picture is then put beside its reports.
            using (var report = await client.GetAsync("model/reports/1/confusion_matrix.svg", Ct))
            {
                report.StatusCode.ShouldBe(HttpStatusCode.OK);
                string.Join("", report.Headers.GetValues("Content-Security-Policy")).ShouldBe("default-src 'none'; sandbox");
                string.Join("", report.Headers.GetValues("X-Content-Type-Options")).ShouldBe("nosniff");
            }

            var package = Path.GetDirectoryName(Directory.EnumerateFiles(cache, "confusion_matrix.svg", SearchOption.AllDirectories).Single())!;
            await File.WriteAllTextAsync(Path.Combine(package, "hostile.svg"), """
                <svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><script>document.documentElement.setAttribute("data-ran", "yes")</script></svg>
                """, Ct);
            var page = await platform.NewPageAsync();
            var console = new List<string>();
            page.Console += (_, message) => console.Add(message.Text);

            var response = await page.GotoAsync(new Uri(web.Address, "model/reports/1/hostile.svg").ToString());

            response!.Status.ShouldBe(200);
            (await response.AllHeadersAsync())["content-security-policy"].ShouldBe(ModelReportsApi.ReportPolicy);
            (await page.EvaluateAsync<string?>("() => document.documentElement.getAttribute('data-ran')")).ShouldBeNull(string.Join("\n", console));
        }
        finally
        {
            TestFolders.DeleteQuietly(cache);
        }
    }

    private static string ReviewerCookie(HttpResponseMessage response) =>
        response.Headers.GetValues("Set-Cookie").Single(c => c.StartsWith("drywet-reviewer=", StringComparison.Ordinal)).ToLowerInvariant();

    private static X509Certificate2 WriteSelfSignedCertificate(string folder)
    {
        using var key = RSA.Create(2048);
        var request = new CertificateRequest("CN=127.0.0.1", key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        var names = new SubjectAlternativeNameBuilder();
        names.AddIpAddress(IPAddress.Loopback);
        request.CertificateExtensions.Add(names.Build());
        var certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(1));
        File.WriteAllText(Path.Combine(folder, "cert.pem"), certificate.ExportCertificatePem());
        File.WriteAllText(Path.Combine(folder, "key.pem"), key.ExportPkcs8PrivateKeyPem());
        return certificate;
    }

    [GeneratedRegex("name=\"__RequestVerificationToken\"[^>]*value=\"(?<token>[^\"]+)\"")]
    private static partial Regex AntiforgeryToken();

    /// <summary>What a browser does with the sign-in form: fetch it (antiforgery cookie and token), post it, do not follow the redirect.</summary>
    private sealed class FormClient : IDisposable
    {
        private readonly HttpClient _client;

        public FormClient(Uri address, string? trustedThumbprint = null)
        {
            var handler = new HttpClientHandler { AllowAutoRedirect = false, CookieContainer = new CookieContainer() };
            if (trustedThumbprint is not null)
            {
                handler.ServerCertificateCustomValidationCallback = (_, certificate, _, _) => certificate?.Thumbprint == trustedThumbprint;
            }

            _client = new HttpClient(handler) { BaseAddress = address };
        }

        public async Task<HttpResponseMessage> SignInAsync(string key, string returnUrl, string? forwardedProto = null)
        {
            var form = await _client.GetStringAsync("signin", Ct);
            var token = WebUtility.HtmlDecode(AntiforgeryToken().Match(form).Groups["token"].Value);
            token.ShouldNotBeNullOrEmpty("the sign-in page has an antiforgery token");
            using var request = new HttpRequestMessage(HttpMethod.Post, "account/signin")
            {
                Content = new FormUrlEncodedContent(new Dictionary<string, string>
                {
                    ["__RequestVerificationToken"] = token, ["key"] = key, ["reviewer"] = "Tester", ["returnUrl"] = returnUrl,
                }),
            };
            if (forwardedProto is not null)
            {
                request.Headers.Add("X-Forwarded-Proto", forwardedProto);
            }

            return await _client.SendAsync(request, Ct);
        }

        public void Dispose() => _client.Dispose();
    }
}

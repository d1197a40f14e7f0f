using Microsoft.Playwright;

namespace DryWet.Tests.Web;

/// <summary>
/// Debian's Chromium (apt-get install chromium) driven by Playwright. Playwright's own browser download
/// (`playwright install`) is never used: it cannot reach its servers here, and CI installs the distribution's package.
/// </summary>
internal static class Chromium
{
    public const string ChromiumPath = "/usr/bin/chromium";

    private static readonly string[] Flags =
    [
        "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync",
    ];

    public static async Task<(IPlaywright Playwright, IBrowser Browser)> LaunchAsync()
    {
        File.Exists(ChromiumPath).ShouldBeTrue($"{ChromiumPath} is missing: install Debian's browser with `apt-get install -y chromium` (./test.sh does).");
        var playwright = await Playwright.CreateAsync();
        var browser = await playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = ChromiumPath,
            Headless = true,
            Args = Flags,
        });
        return (playwright, browser);
    }
}

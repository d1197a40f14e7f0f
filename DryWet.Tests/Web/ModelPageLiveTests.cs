using DryWet.Core.Registry;
using DryWet.Core.Storage;
using DryWet.Tests.LiveEvaluation;
using DryWet.Tests.Registry;
using DryWet.Tests.Storage;
using DryWet.Tests.Tracking;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace DryWet.Tests.Web;

/// <summary>The model page's live numbers: each version's accuracy on reviewed requests and the live gate's verdict now.</summary>
[Collection(WebCollection.Name)]
public sealed class ModelPageLiveTests(WebPlatformFixture platform)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Model_page_shows_live_accuracy_per_version_and_the_paired_verdict_on_the_same_reviews()
    {
        // A home of its own: the shared one's reviews belong to the review page's tests.
        var home = TestFolders.NewTempDirectory("drywet-web-live");
        try
        {
            using (var host = PlatformHost.Build(home))
            {
                var registry = host.Services.GetRequiredService<IModelRegistry>();
                var champion = await RegistryTestModels.LogAndRegisterAsync(host, Path.Combine(home, "work"), 4f, "champion");
                var challenger = await RegistryTestModels.LogAndRegisterAsync(host, Path.Combine(home, "work"), 4f, "challenger");
                await registry.PromoteAsync("dry_wet_model", champion.Version, cancellationToken: Ct);
                await registry.SetAliasAsync("dry_wet_model", "challenger", challenger.Version, Ct);
                // 45 paired reviews, shadow alone right 9 times, champion alone 1: ahead, 5 reviews short of the gate.
                await ReviewedPredictions.WriteTableAsync(host.Services.GetRequiredService<IObjectStore>(), champion.Version, challenger.Version,
                    bothRight: 30, championOnly: 1, shadowOnly: 9, bothWrong: 5);
            }

            await using var web = await platform.StartWebAsync(home);
            var page = await platform.NewPageAsync();
            await page.GotoAsync(new Uri(web.Address, "model").ToString());

            var table = page.Locator("table[data-live-accuracy]");
            var championRow = table.Locator("tr[data-version='1']");
            var shadowRow = table.Locator("tr[data-version='2']");
            await Expect(championRow).ToContainTextAsync("champion (production)");
            await Expect(championRow.Locator("[data-reviewed]")).ToHaveTextAsync("45");
            await Expect(championRow.Locator("[data-accuracy]")).ToHaveTextAsync("0.6889");
            await Expect(championRow).ToContainTextAsync("0.5434 – 0.8047");
            await Expect(shadowRow).ToContainTextAsync("shadow (challenger)");
            await Expect(shadowRow.Locator("[data-accuracy]")).ToHaveTextAsync("0.8667");
            var verdict = page.Locator("[data-live-verdict='champion-behind-live']");
            await Expect(verdict.Locator("[data-paired]")).ToContainTextAsync("45 (both right 30, champion alone 1, shadow alone 9, both wrong 5)");
            await Expect(verdict.Locator("[data-p-value]")).ToContainTextAsync("0.02148");
            await Expect(verdict).ToContainTextAsync("5 more paired reviews needed (evaluation.live_min_reviews 50)");
            await page.ScreenshotAsync(new() { Path = Path.Combine(platform.ScreenshotFolder, "web-model-live.png"), FullPage = true });
        }
        finally
        {
            TestFolders.DeleteQuietly(home);
        }
    }
}

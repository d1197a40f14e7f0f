using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace DryWet.Tests.Web;

/// <summary>The model page: serving's /model/info, the registry's versions, the run's curves and the package's reports.</summary>
[Collection(WebCollection.Name)]
public sealed class ModelPageTests(WebPlatformFixture platform)
{
    [Fact]
    public async Task Model_page_shows_the_serving_version_its_accuracy_learning_curves_and_confusion_matrix()
    {
        var page = await platform.NewPageAsync();
        await page.GotoAsync(platform.Url("model"));

        await Expect(page.Locator("[data-serving-version]")).ToHaveTextAsync("1");
        await Expect(page.GetByText("Dry/Wet road classifier trained with validation accuracy: 0.9333").First).ToBeVisibleAsync();
        var row = page.GetByRole(AriaRole.Row).Filter(new() { HasText = "(serving)" });
        await Expect(row).ToContainTextAsync("Production · production");
        await Expect(row).ToContainTextAsync("0.9333");
        await Expect(row).ToContainTextAsync("no gate decision recorded");
        // The whole history, newest first: version 2 was registered later and never promoted.
        var later = page.GetByRole(AriaRole.Row).Filter(new() { HasText = "0.7100" });
        await Expect(later).ToContainTextAsync("2");
        await Expect(later).ToContainTextAsync("None");
        await Expect(page.GetByText("a weaker candidate, not promoted")).ToBeVisibleAsync();
        await Expect(page.Locator("svg.curve")).ToHaveCountAsync(2);
        await Expect(page.Locator("svg.curve polyline")).ToHaveCountAsync(4);
        await Expect(page.Locator("figure.report").Filter(new() { HasText = "confusion_matrix.txt" }).Locator("pre")).ToContainTextAsync("wet         1   29");
        await Expect(page.Locator("figure.report")).ToHaveCountAsync(2); // MLflow's requirements.txt is not a report
        // The trainer's confusion_matrix.svg is shown as a picture, served from the package.
        var picture = page.Locator("figure.report img[src$='confusion_matrix.svg']");
        await Expect(picture).ToHaveCountAsync(1);
        (await picture.EvaluateAsync<bool>("img => img.complete && img.naturalWidth > 0")).ShouldBeTrue();
        await page.ScreenshotAsync(new() { Path = Path.Combine(platform.ScreenshotFolder, "web-model.png"), FullPage = true });
    }
}

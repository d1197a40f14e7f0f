using System.Globalization;
using System.Text.Json;
using DryWet.Tests.AppHost;
using DryWet.Tests.Platform;
using DryWet.Tests.Serving;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace DryWet.Tests.Web;

/// <summary>The try-it page in Chromium against the real serving app (test model: wet when blue outweighs red).</summary>
[Collection(WebCollection.Name)]
public sealed class TryItPageTests(WebPlatformFixture platform)
{
    [Fact]
    public async Task Uploading_a_wet_image_shows_wet_a_bar_per_class_the_model_version_and_the_latency()
    {
        var page = await platform.NewPageAsync();
        await page.GotoAsync(platform.Url(""));

        await page.GetByLabel("Road image").SetInputFilesAsync(new FilePayload { Name = "road.jpg", MimeType = "image/jpeg", Buffer = TestImages.Road(wet: true) });
        await page.GetByRole(AriaRole.Button, new() { Name = "Classify", Exact = true }).ClickAsync();

        await Expect(page.Locator("[data-prediction]")).ToHaveTextAsync("wet");
        await Expect(page.Locator(".bars li")).ToHaveCountAsync(2);
        var wet = Percent(await page.Locator("li[data-class=wet] [role=meter]").GetAttributeAsync("aria-valuenow"));
        var dry = Percent(await page.Locator("li[data-class=dry] [role=meter]").GetAttributeAsync("aria-valuenow"));
        wet.ShouldBeGreaterThan(50);
        (wet + dry).ShouldBe(100, tolerance: 0.2);
        await Expect(page.Locator("[data-model-version]")).ToHaveTextAsync("1");
        double.Parse(await page.Locator("[data-latency]").InnerTextAsync(), CultureInfo.InvariantCulture).ShouldBeGreaterThan(0);
        await page.ScreenshotAsync(new() { Path = Path.Combine(platform.ScreenshotFolder, "web-try-it.png"), FullPage = true });
    }

    [Fact]
    public async Task Uploading_a_text_file_shows_servings_own_error_message_and_no_prediction()
    {
        var notes = "these are notes, not a road photo\n"u8.ToArray();
        using var direct = await platform.Serving.PostAsync("/predict", ServingApp.ImageForm(notes, fileName: "notes.txt", contentType: "text/plain"),
            TestContext.Current.CancellationToken);
        ((int)direct.StatusCode).ShouldBe(415);
        var servingSays = JsonDocument.Parse(await direct.Content.ReadAsStringAsync(TestContext.Current.CancellationToken)).RootElement.GetProperty("error").GetString()!;

        var page = await platform.NewPageAsync();
        await page.GotoAsync(platform.Url(""));
        await page.GetByLabel("Road image").SetInputFilesAsync(new FilePayload { Name = "notes.txt", MimeType = "text/plain", Buffer = notes });
        await page.GetByRole(AriaRole.Button, new() { Name = "Classify", Exact = true }).ClickAsync();

        await Expect(page.GetByRole(AriaRole.Alert)).ToHaveTextAsync(servingSays);
        await Expect(page.Locator("[data-prediction]")).ToHaveCountAsync(0);
    }

    [Fact]
    public async Task Dropping_an_image_on_the_form_classifies_it()
    {
        var page = await platform.NewPageAsync();
        await page.GotoAsync(platform.Url(""));

        await page.EvaluateAsync("""
            (b64) => {
              const bytes = Uint8Array.from(atob(b64), c => c.charCodeAt(0));
              const transfer = new DataTransfer();
              transfer.items.add(new File([bytes], "dropped.jpg", { type: "image/jpeg" }));
              document.querySelector("[data-drop-zone]").dispatchEvent(new DragEvent("drop", { dataTransfer: transfer, bubbles: true, cancelable: true }));
            }
            """, Convert.ToBase64String(TestImages.Road(wet: false)));

        await Expect(page.Locator("[data-prediction]")).ToHaveTextAsync("dry");
        await Expect(page.Locator("#result-title")).ToHaveTextAsync("Result for dropped.jpg");
    }

    [Fact]
    public async Task Pasting_an_image_classifies_it()
    {
        var page = await platform.NewPageAsync();
        await page.GotoAsync(platform.Url(""));

        await page.EvaluateAsync("""
            (b64) => {
              const bytes = Uint8Array.from(atob(b64), c => c.charCodeAt(0));
              const transfer = new DataTransfer();
              transfer.items.add(new File([bytes], "", { type: "image/png" }));
              document.dispatchEvent(new ClipboardEvent("paste", { clipboardData: transfer, bubbles: true, cancelable: true }));
            }
            """, Convert.ToBase64String(TestImages.Solid(new SkiaSharp.SKColor(30, 90, 230), size: 32)));

        await Expect(page.Locator("[data-prediction]")).ToHaveTextAsync("wet");
        await Expect(page.Locator("#result-title")).ToHaveTextAsync("Result for pasted-image");
    }

    [Theory]
    [InlineData("wet road 1", "wet-1.jpg")]
    [InlineData("dry road 2", "dry-2.jpg")]
    public async Task Clicking_a_sample_classifies_the_shipped_synthetic_image(string sample, string file)
    {
        // What serving answers for that very file: the page must show this class and these probabilities (another
        // sample sent, or none, shows other numbers).
        var expected = await DirectAsync(file);
        var page = await platform.NewPageAsync();
        await page.GotoAsync(platform.Url(""));

        await page.GetByRole(AriaRole.Button, new() { Name = $"Classify sample {sample}" }).ClickAsync();

        await Expect(page.Locator("#result-title")).ToHaveTextAsync($"Result for {sample}");
        await Expect(page.Locator("[data-prediction]")).ToHaveTextAsync(expected.GetProperty("prediction").GetString()!);
        await Expect(page.Locator(".bars li")).ToHaveCountAsync(2);
        foreach (var label in new[] { "dry", "wet" })
        {
            var shown = Percent(await page.Locator($"li[data-class={label}] [role=meter]").GetAttributeAsync("aria-valuenow"));
            shown.ShouldBe(expected.GetProperty("probabilities").GetProperty(label).GetDouble() * 100, tolerance: 0.051, $"{label} probability of {file}");
        }

        // The numbers tell the samples apart, so the check above would catch another sample being sent.
        foreach (var other in new[] { "dry-1.jpg", "dry-2.jpg", "wet-1.jpg", "wet-2.jpg" }.Where(f => f != file))
        {
            var wet = (await DirectAsync(other)).GetProperty("probabilities").GetProperty("wet").GetDouble();
            Math.Abs(wet - expected.GetProperty("probabilities").GetProperty("wet").GetDouble()).ShouldBeGreaterThan(0.002, $"{other} vs {file}");
        }
    }

    private async Task<JsonElement> DirectAsync(string file)
    {
        var bytes = File.ReadAllBytes(Path.Combine(RepositoryPaths.Root, "DryWet.Web", "wwwroot", "samples", file));
        using var direct = await platform.Serving.PostAsync("/predict", ServingApp.ImageForm(bytes, fileName: file), TestContext.Current.CancellationToken);
        direct.StatusCode.ShouldBe(System.Net.HttpStatusCode.OK);
        return JsonDocument.Parse(await direct.Content.ReadAsStringAsync(TestContext.Current.CancellationToken)).RootElement.Clone();
    }

    [Fact]
    public async Task Submitting_without_a_file_asks_for_one()
    {
        var page = await platform.NewPageAsync();
        await page.GotoAsync(platform.Url(""));

        await page.GetByRole(AriaRole.Button, new() { Name = "Classify", Exact = true }).ClickAsync();

        await Expect(page.GetByRole(AriaRole.Alert)).ToContainTextAsync("Choose an image first");
    }

    [Fact]
    public async Task Behind_the_gateway_prefix_links_and_forms_stay_under_it()
    {
        await using var web = await platform.StartWebAsync(platform.Home, pathBase: "/dry-wet-ui");
        var page = await platform.NewPageAsync();
        await page.GotoAsync(new Uri(web.Address, "dry-wet-ui/").ToString());

        await page.GetByRole(AriaRole.Link, new() { Name = "Model" }).ClickAsync();
        await Expect(page).ToHaveURLAsync(new Uri(web.Address, "dry-wet-ui/model").ToString());
        await Expect(page.Locator("[data-serving-version]")).ToHaveTextAsync("1");

        await page.GetByRole(AriaRole.Link, new() { Name = "Try it" }).ClickAsync();
        await page.GetByLabel("Road image").SetInputFilesAsync(new FilePayload { Name = "road.jpg", MimeType = "image/jpeg", Buffer = TestImages.Road(wet: true) });
        await page.GetByRole(AriaRole.Button, new() { Name = "Classify", Exact = true }).ClickAsync();
        await Expect(page.Locator("[data-prediction]")).ToHaveTextAsync("wet");
        await Expect(page).ToHaveURLAsync(new Uri(web.Address, "dry-wet-ui/").ToString());
    }

    private static double Percent(string? value) => double.Parse(value!, CultureInfo.InvariantCulture);
}

using System.Text.Json;
using DryWet.Core.Feedback;
using DryWet.Tests.AppHost;
using DryWet.Tests.Platform;
using DryWet.Tests.Serving;
using DryWet.Tests.Storage;
using DryWet.Web.Review;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace DryWet.Tests.Web;

/// <summary>
/// The review page over logged predictions written through the object-store port (as serving's prediction log will):
/// the grid, least confident first, labelling by click and by key into ml-data, and refusal without the admin key.
/// </summary>
[Collection(WebCollection.Name)]
public sealed class ReviewPageTests(WebPlatformFixture platform)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Without_logged_predictions_the_page_says_how_to_turn_logging_on()
    {
        var empty = TestFolders.NewTempDirectory("drywet-web-empty");
        try
        {
            await using var web = await platform.StartWebAsync(empty);
            var page = await platform.SignedInPageAsync("Ada", web.Address);

            await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "No logged predictions yet" })).ToBeVisibleAsync();
            await Expect(page.Locator("section.empty")).ToContainTextAsync("Serving:PredictionLog:SampleRate");
            await Expect(page.Locator("section.empty")).ToContainTextAsync("ml-feedback");
            await page.ScreenshotAsync(new() { Path = Path.Combine(platform.ScreenshotFolder, "web-review-empty.png"), FullPage = true });
        }
        finally
        {
            TestFolders.DeleteQuietly(empty);
        }
    }

    [Fact]
    public async Task A_signed_in_reviewer_corrects_one_by_click_and_confirms_one_by_key_into_ml_data_with_manifest_entries()
    {
        var (unsure, likely, sure) = (NewId(), NewId(), NewId());
        // The shipped samples: synthetic road photos drawn by DryWet's generator.
        var unsureImage = Sample("wet-1.jpg");
        await LoggedPredictions.WriteAsync(platform.Store, unsure, "dry", 0.52f, unsureImage);
        await LoggedPredictions.WriteAsync(platform.Store, likely, "wet", 0.71f, Sample("wet-2.jpg"));
        await LoggedPredictions.WriteAsync(platform.Store, sure, "wet", 0.97f, Sample("dry-1.jpg"));
        var page = await SignedInPageAsync("Ada");

        await page.GotoAsync(platform.Url("review?sort=least"));
        var ids = await page.Locator("[data-card]").EvaluateAllAsync<string[]>("cards => cards.map(c => c.dataset.id)");
        Array.IndexOf(ids, unsure).ShouldBeLessThan(Array.IndexOf(ids, likely));
        Array.IndexOf(ids, likely).ShouldBeLessThan(Array.IndexOf(ids, sure));
        var unsureCard = Card(page, unsure);
        await Expect(unsureCard.Locator("img")).ToHaveJSPropertyAsync("complete", true);
        (await unsureCard.Locator("img").EvaluateAsync<int>("img => img.naturalWidth")).ShouldBeGreaterThan(0);
        await page.ScreenshotAsync(new() { Path = Path.Combine(platform.ScreenshotFolder, "web-review.png"), FullPage = true });

        // Click: the model said dry, the reviewer corrects it to wet.
        await unsureCard.GetByRole(AriaRole.Button, new() { Name = "→ wet" }).ClickAsync();
        await Expect(Card(page, unsure).Locator(".status")).ToHaveTextAsync("Corrected as wet by Ada");

        // Key: Enter on a focused card confirms the prediction.
        await Card(page, likely).FocusAsync();
        await page.Keyboard.PressAsync("Enter");
        await Expect(Card(page, likely).Locator(".status")).ToHaveTextAsync("Confirmed as wet by Ada");

        var stored = await platform.Store.ListAsync(PredictionLog.DataBucket, cancellationToken: Ct);
        stored.Select(o => o.Key).ShouldContain($"wet/{unsure}.jpg");
        stored.Select(o => o.Key).ShouldContain($"wet/{likely}.jpg");
        stored.Select(o => o.Key).ShouldNotContain($"dry/{unsure}.jpg");
        (await DownloadAsync(PredictionLog.DataBucket, $"wet/{unsure}.jpg")).ShouldBe(unsureImage);
        using var entry = JsonDocument.Parse(await DownloadAsync(PredictionLog.DataBucket, $".manifest/{unsure}.json"));
        var e = entry.RootElement;
        e.GetProperty("id").GetString().ShouldBe(unsure);
        e.GetProperty("label").GetString().ShouldBe("wet");
        e.GetProperty("predicted").GetString().ShouldBe("dry");
        e.GetProperty("corrected").GetBoolean().ShouldBeTrue();
        e.GetProperty("reviewer").GetString().ShouldBe("Ada");
        e.GetProperty("prediction_key").GetString().ShouldBe($"predictions/{DateTimeOffset.UtcNow:yyyy-MM-dd}/{unsure}.json");
        e.GetProperty("model_version").GetString().ShouldBe("1");
        e.GetProperty("reviewed_at").GetDateTimeOffset().ShouldBeInRange(DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddMinutes(1));

        // A second, different first label for the same prediction is refused, naming who labelled it: a label is changed on purpose.
        var token = await page.Locator("input[name=__RequestVerificationToken]").First.GetAttributeAsync("value");
        var again = await page.APIRequest.PostAsync(platform.Url("review/label"), new()
        {
            Form = page.Context.APIRequest.CreateFormData().Set("__RequestVerificationToken", token!)
                .Set("date", $"{DateTimeOffset.UtcNow:yyyy-MM-dd}").Set("id", unsure).Set("label", "dry"),
            MaxRedirects = 0,
        });
        again.Status.ShouldBe(409);
        (await again.TextAsync()).ShouldContain($"was already labelled 'wet' by Ada");
        (await platform.Store.ListAsync(PredictionLog.DataBucket, cancellationToken: Ct)).Select(o => o.Key).ShouldNotContain($"dry/{unsure}.jpg");
    }

    [Fact]
    public async Task Disagreements_come_first_with_the_shadow_answer_on_the_card_the_gate_counts_reviews_and_a_label_is_changed_by_click()
    {
        var (disagree, agree, alone) = (NewId(), NewId(), NewId());
        var shadowVersion = Random.Shared.Next(100, 1000).ToString(System.Globalization.CultureInfo.InvariantCulture);
        ShadowAnswer Shadow(string prediction, float p) =>
            new(shadowVersion, prediction, new Dictionary<string, float> { [prediction] = p, [prediction == "wet" ? "dry" : "wet"] = 1 - p });
        await LoggedPredictions.WriteAsync(platform.Store, disagree, "dry", 0.90f, Sample("wet-1.jpg"), shadow: Shadow("wet", 0.70f));
        await LoggedPredictions.WriteAsync(platform.Store, agree, "wet", 0.55f, Sample("wet-2.jpg"), shadow: Shadow("wet", 0.80f));
        await LoggedPredictions.WriteAsync(platform.Store, alone, "dry", 0.51f, Sample("dry-1.jpg"));
        var page = await SignedInPageAsync("Ada");

        await page.GotoAsync(platform.Url("review?sort=disagreement"));
        var ids = await page.Locator("[data-card]").EvaluateAllAsync<string[]>("cards => cards.map(c => c.dataset.id)");
        Array.IndexOf(ids, disagree).ShouldBeLessThan(Array.IndexOf(ids, alone));
        Array.IndexOf(ids, disagree).ShouldBeLessThan(Array.IndexOf(ids, agree));
        await Expect(page.GetByLabel("Order")).ToHaveValueAsync("disagreement");
        await Expect(Card(page, disagree).Locator(".shadow")).ToHaveTextAsync($"Shadow v{shadowVersion}: wet 70.0 % · disagrees");
        await Expect(Card(page, agree).Locator(".shadow")).ToHaveTextAsync($"Shadow v{shadowVersion}: wet 80.0 %");
        await Expect(Card(page, alone).Locator(".shadow")).ToHaveCountAsync(0);
        var gate = page.Locator("[data-live-gate]");
        await Expect(gate).ToContainTextAsync($"v1 against shadow v{shadowVersion}");
        await Expect(gate).ToContainTextAsync("0 of 50");
        await Expect(gate).ToContainTextAsync("50 more reviews needed");
        await page.ScreenshotAsync(new() { Path = Path.Combine(platform.ScreenshotFolder, "web-review-disagreement.png"), FullPage = true });

        // The reviewer sides with the shadow: the gate counts one reviewed request, a disagreement.
        await Card(page, disagree).GetByRole(AriaRole.Button, new() { Name = "→ wet" }).ClickAsync();
        await Expect(Card(page, disagree).Locator(".status")).ToHaveTextAsync("Corrected as wet by Ada");
        await Expect(gate).ToContainTextAsync("1 of 50");
        await Expect(gate).ToContainTextAsync("(1 where they disagree)");
        await Expect(gate).ToHaveAttributeAsync("data-remaining", "49");

        // Then changes their mind: the image moves to dry/, nothing is left in wet/, the entry keeps both labels.
        await Card(page, disagree).GetByRole(AriaRole.Button, new() { Name = "Change to dry" }).ClickAsync();
        await Expect(Card(page, disagree).Locator(".status")).ToHaveTextAsync("Confirmed as dry by Ada");
        var keys = (await platform.Store.ListAsync(PredictionLog.DataBucket, cancellationToken: Ct)).Select(o => o.Key).ToList();
        keys.ShouldContain($"dry/{disagree}.jpg");
        keys.ShouldNotContain($"wet/{disagree}.jpg");
        using var entry = JsonDocument.Parse(await DownloadAsync(PredictionLog.DataBucket, $".manifest/{disagree}.json"));
        var history = entry.RootElement.GetProperty("history").EnumerateArray()
            .Select(h => (h.TryGetProperty("from", out var f) ? f.GetString() : null, h.GetProperty("to").GetString(), h.GetProperty("reviewer").GetString()))
            .ToList();
        history.ShouldBe([(null, "wet", "Ada"), ("wet", "dry", "Ada")]);
        entry.RootElement.GetProperty("label").GetString().ShouldBe("dry");
        entry.RootElement.GetProperty("corrected").GetBoolean().ShouldBeFalse();
    }

    [Fact]
    public async Task A_visitor_is_sent_to_sign_in_and_back_and_without_signing_in_gets_no_thumbnail_and_no_label()
    {
        var id = NewId();
        await LoggedPredictions.WriteAsync(platform.Store, id, "wet", 0.6f, TestImages.Road(wet: true));
        var page = await platform.NewPageAsync();

        await page.GotoAsync(platform.Url("review?sort=newest"));
        new Uri(page.Url).PathAndQuery.ShouldBe("/signin?returnUrl=review%3Fsort%3Dnewest");
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Sign in to review" })).ToBeVisibleAsync();
        (await page.ContentAsync()).ShouldNotContain(id);

        var thumbnail = await page.APIRequest.GetAsync(platform.Url($"review/thumbnails/{DateTimeOffset.UtcNow:yyyy-MM-dd}/{id}"));
        thumbnail.Status.ShouldBe(401);
        (await thumbnail.BodyAsync()).ShouldBeEmpty();
        var response = await page.APIRequest.PostAsync(platform.Url("review/label"), new()
        {
            Form = page.Context.APIRequest.CreateFormData().Set("date", $"{DateTimeOffset.UtcNow:yyyy-MM-dd}").Set("id", id).Set("label", "dry"),
        });
        response.Status.ShouldBe(401);
        if (await platform.Store.BucketExistsAsync(PredictionLog.DataBucket, Ct))
        {
            (await platform.Store.ListAsync(PredictionLog.DataBucket, cancellationToken: Ct)).ShouldNotContain(o => o.Key.Contains(id, StringComparison.Ordinal));
        }

        // Signing in on that page brings the visitor back to the review they asked for, thumbnails and all.
        await page.GetByLabel("Admin key").FillAsync(WebPlatformFixture.AdminKey);
        await page.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync();
        await Expect(Card(page, id)).ToBeVisibleAsync();
        new Uri(page.Url).PathAndQuery.ShouldBe("/review?sort=newest");
        await Expect(Card(page, id).Locator("img")).ToHaveJSPropertyAsync("complete", true);
        (await Card(page, id).Locator("img").EvaluateAsync<int>("img => img.naturalWidth")).ShouldBeGreaterThan(0);
    }

    [Fact]
    public async Task With_public_review_a_visitor_sees_the_grid_with_disabled_buttons_and_a_forged_post_is_refused_with_401()
    {
        var id = NewId();
        await LoggedPredictions.WriteAsync(platform.Store, id, "wet", 0.6f, TestImages.Road(wet: true));
        await using var web = await platform.StartWebAsync(platform.Home, settings: new Dictionary<string, string> { ["Web__PublicReview"] = "true" });
        var page = await platform.NewPageAsync();

        await page.GotoAsync(new Uri(web.Address, "review").ToString());
        await Expect(Card(page, id).GetByRole(AriaRole.Button, new() { Name = "→ dry" })).ToBeDisabledAsync();
        await Expect(page.GetByRole(AriaRole.Link, new() { Name = "Sign in", Exact = true })).ToBeVisibleAsync();
        await Expect(Card(page, id).Locator("img")).ToHaveJSPropertyAsync("complete", true);
        (await Card(page, id).Locator("img").EvaluateAsync<int>("img => img.naturalWidth")).ShouldBeGreaterThan(0);

        var response = await page.APIRequest.PostAsync(new Uri(web.Address, "review/label").ToString(), new()
        {
            Form = page.Context.APIRequest.CreateFormData().Set("date", $"{DateTimeOffset.UtcNow:yyyy-MM-dd}").Set("id", id).Set("label", "dry"),
        });
        response.Status.ShouldBe(401);
    }

    [Fact]
    public async Task A_wrong_key_is_refused_with_a_message_and_the_session_cookie_never_reaches_page_scripts()
    {
        var page = await platform.NewPageAsync();
        await page.GotoAsync(platform.Url("signin"));
        await page.GetByLabel("Admin key").FillAsync("not-the-key");
        await page.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync();
        await Expect(page.GetByRole(AriaRole.Alert)).ToContainTextAsync("That key is not the admin key");

        var signedIn = await SignedInPageAsync("Grace");
        var cookie = (await signedIn.Context.CookiesAsync()).Single(c => c.Name == "drywet-reviewer");
        cookie.HttpOnly.ShouldBeTrue();
        cookie.SameSite.ShouldBe(SameSiteAttribute.Strict);
        (await signedIn.EvaluateAsync<string>("() => document.cookie")).ShouldNotContain("drywet-reviewer");
        (await signedIn.ContentAsync()).ShouldNotContain(WebPlatformFixture.AdminKey);
        cookie.Value.ShouldNotContain(WebPlatformFixture.AdminKey);
    }

    private Task<IPage> SignedInPageAsync(string reviewer) => platform.SignedInPageAsync(reviewer);

    private static ILocator Card(IPage page, string id) => page.Locator($"[data-card][data-id='{id}']");

    private static byte[] Sample(string name) => File.ReadAllBytes(Path.Combine(RepositoryPaths.Root, "DryWet.Web", "wwwroot", "samples", name));

    private static string NewId() => Guid.NewGuid().ToString("N")[..12];

    private async Task<byte[]> DownloadAsync(string bucket, string key)
    {
        var file = TestFolders.NewTempFile("drywet-review-download");
        try
        {
            await platform.Store.DownloadFileAsync(bucket, key, file, Ct);
            return await File.ReadAllBytesAsync(file, Ct);
        }
        finally
        {
            TestFolders.DeleteQuietly(file);
        }
    }
}

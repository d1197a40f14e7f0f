using DryWet.Core.Registry;
using DryWet.Core.Storage;
using DryWet.Core.Tracking;
using DryWet.Tests.AppHost;
using DryWet.Tests.Platform;
using DryWet.Tests.Serving;
using DryWet.Tests.Storage;
using DryWet.Tests.Tracking;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Playwright;

namespace DryWet.Tests.Web;

/// <summary>
/// One embedded platform for the browser tests: a registered, promoted test model (version 1, with per-epoch metrics
/// and a confusion-matrix report) served by the real serving app, the real web app as a process beside it, and Chromium.
/// </summary>
public sealed class WebPlatformFixture : IAsyncLifetime
{
    public const string AdminKey = "test-admin-key-0123456789abcdef";

    private IHost? _platform;
    private ServingApp? _servingApp;
    private WebProcess? _web;
    private IPlaywright? _playwright;

    public string Home { get; } = TestFolders.NewTempDirectory("drywet-web");

    /// <summary>Screenshots go to docs/ with DRYWET_UPDATE_SNAPSHOTS=true, else to a temp folder (still taken and checked).</summary>
    public string ScreenshotFolder { get; } = Snapshots.Updating ? Path.Combine(RepositoryPaths.Root, "docs") : TestFolders.NewTempDirectory("drywet-web-shots");

    public Uri Web => _web!.Address;
    public HttpClient Serving { get; private set; } = default!;
    public IBrowser Browser { get; private set; } = default!;
    public IObjectStore Store => _platform!.Services.GetRequiredService<IObjectStore>();
    public string WebOutput => _web?.Output ?? "";

    public async ValueTask InitializeAsync()
    {
        _platform = PlatformHost.Build(Home);
        await RegisterModelAsync();
        (_servingApp, Serving) = await ServingApp.StartAsync(new Dictionary<string, string?> { ["DryWet:Home"] = Home });
        _web = await StartWebAsync(Home);
        (_playwright, Browser) = await Chromium.LaunchAsync();
    }

    /// <summary>Another web app on the same serving (e.g. over an empty home, or without an admin key).</summary>
    public Task<WebProcess> StartWebAsync(string home, string adminKey = AdminKey, string pathBase = "", IReadOnlyDictionary<string, string>? settings = null)
    {
        var environment = new Dictionary<string, string>
        {
            ["DryWet__Home"] = home,
            ["Web__ServingUrl"] = Serving.BaseAddress!.ToString(),
            ["Web__AdminApiKey"] = adminKey,
            ["Web__PathBase"] = pathBase,
        };
        foreach (var (key, value) in settings ?? new Dictionary<string, string>())
        {
            environment[key] = value;
        }

        return WebProcess.StartAsync(environment);
    }

    public async Task<IPage> NewPageAsync(int width = 1100, int height = 800)
    {
        var context = await Browser.NewContextAsync(new BrowserNewContextOptions { ViewportSize = new ViewportSize { Width = width, Height = height } });
        var page = await context.NewPageAsync();
        // Script errors and console messages land in the test's output, next to a failing assertion.
        page.Console += (_, message) => TestContext.Current.TestOutputHelper?.WriteLine($"browser console {message.Type}: {message.Text}");
        page.PageError += (_, error) => TestContext.Current.TestOutputHelper?.WriteLine($"browser page error: {error}");
        return page;
    }

    public string Url(string relative) => new Uri(Web, relative).ToString();

    private readonly SemaphoreSlim _signingIn = new(1, 1);
    private Cookie? _reviewer;

    /// <summary>
    /// The shared app's reviewer cookie, signed in once through the sign-in form as a person would (the review page
    /// and its thumbnails need it; sign-in is rate-limited per address, so tests share this one).
    /// </summary>
    public async Task<Cookie> ReviewerCookieAsync()
    {
        await _signingIn.WaitAsync();
        try
        {
            if (_reviewer is null)
            {
                var page = await SignedInPageAsync("Quality check");
                _reviewer = (await page.Context.CookiesAsync()).Single(c => c.Name == DryWet.Web.Extensions.WebExtensions.ReviewerCookie) is var c
                    ? new Cookie { Name = c.Name, Value = c.Value, Domain = c.Domain, Path = c.Path, HttpOnly = c.HttpOnly, SameSite = c.SameSite }
                    : null;
                await page.Context.CloseAsync();
            }

            return _reviewer!;
        }
        finally
        {
            _signingIn.Release();
        }
    }

    /// <summary>A page whose browser holds the shared reviewer cookie.</summary>
    public async Task<IPage> NewReviewerPageAsync(int width = 1100, int height = 800)
    {
        var cookie = await ReviewerCookieAsync();
        var page = await NewPageAsync(width, height);
        await page.Context.AddCookiesAsync([cookie]);
        return page;
    }

    /// <summary>Signs in through the form on <paramref name="web"/> (default: the shared app) and returns the page, back on the review page.</summary>
    public async Task<IPage> SignedInPageAsync(string reviewer, Uri? web = null)
    {
        var page = await NewPageAsync();
        await page.GotoAsync(new Uri(web ?? Web, "signin?returnUrl=review").ToString());
        await page.GetByLabel("Your name").FillAsync(reviewer);
        await page.GetByLabel("Admin key").FillAsync(AdminKey);
        await page.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync();
        await Microsoft.Playwright.Assertions.Expect(page.Locator(".who")).ToContainTextAsync($"Signed in as {reviewer}");
        return page;
    }

    public async ValueTask DisposeAsync()
    {
        if (Browser is not null)
        {
            await Browser.DisposeAsync();
        }

        _playwright?.Dispose();
        if (_web is not null)
        {
            await _web.DisposeAsync();
        }

        if (_servingApp is not null)
        {
            await _servingApp.DisposeAsync();
        }

        _platform?.Dispose();
        TestFolders.DeleteQuietly(Home);
        if (!Snapshots.Updating)
        {
            TestFolders.DeleteQuietly(ScreenshotFolder);
        }
    }

    /// <summary>What train does: a run with per-epoch metrics and the package (with its reports), registered and promoted.</summary>
    private async Task RegisterModelAsync()
    {
        var tracker = _platform!.Services.GetRequiredService<IExperimentTracker>();
        var registry = _platform.Services.GetRequiredService<IModelRegistry>();
        var package = TestModels.WritePackage(Path.Combine(Home, "work", "package"), TestModels.BlueVersusRed(4f), imgSize: 24);
        await File.WriteAllTextAsync(Path.Combine(package, "confusion_matrix.txt"), "true\\pred  dry  wet\ndry        30    0\nwet         1   29\n");
        // The trainer's picture of the same matrix (30 dry right; 29 wet right, 1 called dry).
        int[] truth = [.. Enumerable.Repeat(0, 30), .. Enumerable.Repeat(1, 30)];
        int[] predicted = [.. Enumerable.Repeat(0, 31), .. Enumerable.Repeat(1, 29)];
        await File.WriteAllTextAsync(Path.Combine(package, DryWet.TrainingWorker.Training.ConfusionMatrixPicture.FileName),
            DryWet.TrainingWorker.Training.ConfusionMatrixPicture.ToSvg(new DryWet.TrainingWorker.Training.ClassificationReport(["dry", "wet"], truth, predicted)));
        await using var run = await tracker.StartRunAsync("dry-wet-classification");
        for (var epoch = 1; epoch <= 5; epoch++)
        {
            await run.LogMetricsAsync([
                MetricPoint.Now("train_loss", 1.0 / epoch, epoch), MetricPoint.Now("val_loss", 1.2 / epoch, epoch),
                MetricPoint.Now("train_acc", 0.5 + 0.09 * epoch, epoch), MetricPoint.Now("val_acc", 0.48 + 0.09 * epoch, epoch)]);
        }

        await run.LogMetricsAsync([MetricPoint.Now("best_val_acc", 0.9333, 5)]);
        await run.LogModelAsync(package);
        await run.EndAsync(RunOutcome.Finished);
        var version = await registry.RegisterAsync("dry_wet_model", run.ArtifactUri + "/model", run.RunId);
        await registry.PromoteAsync("dry_wet_model", version.Version);
        await registry.UpdateDescriptionAsync("dry_wet_model", version.Version, "Dry/Wet road classifier trained with validation accuracy: 0.9333");

        // A later version that was registered but never promoted: the history shows it, serving stays on version 1.
        await using var second = await tracker.StartRunAsync("dry-wet-classification");
        await second.LogMetricsAsync([MetricPoint.Now("best_val_acc", 0.71, 3)]);
        await second.LogModelAsync(package);
        await second.EndAsync(RunOutcome.Finished);
        await registry.RegisterAsync("dry_wet_model", second.ArtifactUri + "/model", second.RunId, "a weaker candidate, not promoted");
    }
}

[CollectionDefinition(Name)]
public sealed class WebCollection : ICollectionFixture<WebPlatformFixture>
{
    public const string Name = "web";
}

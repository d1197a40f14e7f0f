using System.IO.Compression;
using Aspire.Hosting.Testing;
using DryWet.AppHost.Minio;
using DryWet.AppHost.Mlflow;
using DryWet.AppHost.Platform;
using DryWet.AppHost.Serving;
using DryWet.AppHost.Trainer;

namespace DryWet.Tests.AppHost;

/// <summary>End to end through the real AppHost in embedded mode: dashboard commands, trainer, serving.</summary>
public class EmbeddedPlatformTests(EmbeddedPlatformFixture platform) : IClassFixture<EmbeddedPlatformFixture>
{
    [Fact]
    public async Task Load_sample_data_puts_the_sample_zip_into_the_embedded_ml_data_bucket()
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        timeout.CancelAfter(TimeSpan.FromMinutes(2));

        var result = await platform.ExecuteCommandAsync("trainer", CommandExtensions.LoadSampleDataCommand, timeout.Token);

        result.Success.ShouldBeTrue(result.Message);
        var zip = Path.Combine(platform.Home, "objects", "ml-data", "dry-wet-data.zip");
        using var archive = ZipFile.OpenRead(zip);
        var classes = archive.Entries.Where(e => e.Length > 0).GroupBy(e => e.FullName.Split('/')[0]).ToDictionary(g => g.Key, g => g.Count());
        classes.ShouldBe(new Dictionary<string, int> { ["dry"] = 300, ["wet"] = 300 }, "the sample-data default (README: 300 per class)");
        Directory.GetFiles(Path.GetDirectoryName(zip)!).ShouldBe([zip], "no temporary file may be left in the bucket");
    }

    [Fact]
    public async Task Serving_gets_the_admin_key_and_the_reload_command_sends_it()
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        timeout.CancelAfter(TimeSpan.FromMinutes(1));
        using var http = platform.App.CreateHttpClient("serving", "http");

        // Serving holds exactly the AppHost's key: none or another one is refused, this one passes the check.
        using var anonymous = await http.PostAsync("/model/reload", null, timeout.Token);
        anonymous.StatusCode.ShouldBe(System.Net.HttpStatusCode.Unauthorized);
        using var wrong = await ReloadAsync(http, "not-the-key", timeout.Token);
        wrong.StatusCode.ShouldBe(System.Net.HttpStatusCode.Unauthorized);
        using var right = await ReloadAsync(http, EmbeddedPlatformFixture.AdminKey, timeout.Token);
        // Past the key check the reload itself runs: 200 with a model, 500 "Failed to reload model" without one.
        ((int)right.StatusCode).ShouldBeOneOf(200, 500);
        (await right.Content.ReadAsStringAsync(timeout.Token)).ShouldContain(right.IsSuccessStatusCode ? "Model reloaded successfully" : "Failed to reload model");

        // The dashboard command reaches the same handler with the key: its answer is the reload's (success, or the
        // 500 of no model yet), never the 401 that a missing or wrong key gets.
        var result = await platform.ExecuteCommandAsync("serving", CommandExtensions.ReloadModelCommand, timeout.Token);
        if (!result.Success)
        {
            result.Message.ShouldBe("Request failed with status code InternalServerError");
        }
    }

    private static async Task<HttpResponseMessage> ReloadAsync(HttpClient http, string key, CancellationToken ct)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/model/reload");
        request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", key);
        return await http.SendAsync(request, ct);
    }
}

using System.Collections.Concurrent;
using System.Net;
using DryWet.Core.Registry;
using DryWet.Tests.Serving;
using DryWet.Tests.Storage;
using DryWet.Tests.Tracking;
using Microsoft.Extensions.DependencyInjection;

namespace DryWet.Tests.Registry;

/// <summary>
/// A promotion reaches serving by polling alone (no reload call) while clients keep predicting: the served version
/// changes and not one request fails. Real packages in the embedded registry, the real serving app over HTTP.
/// </summary>
public sealed class PromotionUnderLoadTests : IDisposable
{
    private const int Clients = 4;
    private readonly string _home = TestFolders.NewTempDirectory("promotion-under-load");

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Moving_the_production_alias_switches_the_served_version_under_concurrent_load_with_zero_failed_requests()
    {
        using var platform = PlatformHost.Build(_home);
        var registry = platform.Services.GetRequiredService<IModelRegistry>();
        var v1 = await RegistryTestModels.LogAndRegisterAsync(platform, Path.Combine(_home, "work"), k: 4f);
        await registry.PromoteAsync("dry_wet_model", v1.Version, cancellationToken: Ct);
        // The challenger is registered before the load starts, as the gate does, but not yet promoted: serving must
        // keep answering from v1 until the alias moves. It is the inverse model, so its answers are visibly its own.
        var v2 = await RegistryTestModels.LogAndRegisterAsync(platform, Path.Combine(_home, "work"), k: -4f);
        var (app, client) = await ServingApp.StartAsync(new Dictionary<string, string?>
        {
            ["DryWet:Home"] = _home,
            ["Model:PollInterval"] = "00:00:00.200",
        });
        await using var _ = app;

        var answers = new ConcurrentQueue<(int Client, DateTimeOffset At, HttpStatusCode Status, string? Version, string? Prediction)>();
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        var load = Enumerable.Range(0, Clients).Select(c => Task.Run(async () =>
        {
            var image = TestImages.Road(wet: true);
            while (!stop.IsCancellationRequested)
            {
                try
                {
                    using var response = await client.PostAsync("/predict", ServingApp.ImageForm(image), CancellationToken.None);
                    var body = response.IsSuccessStatusCode ? await RegistryTestModels.Json(response) : default;
                    answers.Enqueue((c, DateTimeOffset.UtcNow, response.StatusCode,
                        response.IsSuccessStatusCode ? body.GetProperty("model_version").GetString() : null,
                        response.IsSuccessStatusCode ? body.GetProperty("prediction").GetString() : null));
                }
                catch (HttpRequestException)
                {
                    answers.Enqueue((c, DateTimeOffset.UtcNow, 0, null, null));
                }
            }
        }, CancellationToken.None)).ToList();

        await Eventually.TrueAsync(() => answers.Count >= 20, "the clients get their first answers from v1");
        var promotedAt = DateTimeOffset.UtcNow;
        await registry.PromoteAsync("dry_wet_model", v2.Version, cancellationToken: Ct);
        await Eventually.TrueAsync(() => answers.Count(a => a.Version == v2.Version) >= 20, "v2 answers under load after the promotion", seconds: 30);
        await stop.CancelAsync();
        await Task.WhenAll(load);

        var all = answers.ToList();
        TestContext.Current.TestOutputHelper?.WriteLine(
            $"{all.Count} answers from {Clients} clients: {all.Count(a => a.Version == v1.Version)} from v1, {all.Count(a => a.Version == v2.Version)} from v2, " +
            $"first v2 answer {(all.Where(a => a.Version == v2.Version).Min(a => a.At) - promotedAt).TotalSeconds:F2} s after the promotion");
        all.Where(a => a.Status != HttpStatusCode.OK).ShouldBeEmpty("zero failed requests during the switch");
        all.Select(a => a.Version).Distinct().Order().ShouldBe([v1.Version, v2.Version]);
        all.Where(a => a.At < promotedAt).ShouldAllBe(a => a.Version == v1.Version, "nothing but v1 before the promotion");
        // Each answer is the served version's own: v1 calls a blue road wet, the inverted v2 calls it dry.
        all.ShouldAllBe(a => a.Prediction == (a.Version == v1.Version ? "wet" : "dry"));
        // Once a client has seen v2 it never gets v1 again: the switch is atomic.
        foreach (var perClient in all.GroupBy(a => a.Client))
        {
            var versions = perClient.Select(a => a.Version).ToList();
            var first = versions.IndexOf(v2.Version);
            first.ShouldBeGreaterThanOrEqualTo(0, $"client {perClient.Key} saw v2");
            versions.Skip(first).ShouldAllBe(v => v == v2.Version, $"client {perClient.Key} went back to v1");
        }

        var info = await RegistryTestModels.Json(await client.GetAsync("/model/info", Ct));
        info.GetProperty("model_version").GetString().ShouldBe(v2.Version);
    }

    public void Dispose() => TestFolders.DeleteQuietly(_home);
}

using Aspire.Hosting.Testing;
using DryWet.AppHost.Extensions;
using DryWet.Core.Registry;
using DryWet.Tests.Tracking;
using Microsoft.Extensions.DependencyInjection;

namespace DryWet.Tests.AppHost;

/// <summary>
/// The loop's first run (<see cref="EmbeddedTrainingLoopTests"/> step 1) with the training watcher on pinned AVX2 CPU
/// kernels instead of libtorch's own pick: other kernels give other numbers (issue 21: 0.85 on fresh images on an
/// AVX-512 machine), and the first model must learn either way. "Load sample data" → the watcher trains → v1 first and
/// production → served by polling → at least 95 % of 200 fresh sample images right.
/// </summary>
public class EmbeddedFirstRunOnAvx2KernelsTests(EmbeddedPlatformAvx2Fixture platform) : IClassFixture<EmbeddedPlatformAvx2Fixture>
{
    [Fact]
    public async Task Load_sample_data_gives_a_served_first_model_that_classifies_95_percent_of_fresh_images()
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        timeout.CancelAfter(TimeSpan.FromMinutes(8));
        var ct = timeout.Token;
        using var registryHost = PlatformHost.Build(platform.Home);
        var registry = registryHost.Services.GetRequiredService<IModelRegistry>();
        using var http = platform.App.CreateHttpClient("serving", "http");

        var loaded = await platform.ExecuteCommandAsync("trainer", CommandExtensions.LoadSampleDataCommand, ct);
        loaded.Success.ShouldBeTrue(loaded.Message);
        var v1 = await EmbeddedTrainingLoopTests.WaitForVersionAsync(registry, "1", ct);
        v1.Tags["drywet.promotion"].ShouldBe("first", v1.Description);
        v1.Aliases.ShouldContain("production");
        await EmbeddedTrainingLoopTests.WaitUntilServedAsync(http, "1", ct);
        (await EmbeddedTrainingLoopTests.AccuracyAsync(http, ct)).ShouldBeGreaterThanOrEqualTo(0.95);
    }
}

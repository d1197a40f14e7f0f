using System.Diagnostics.Metrics;
using DryWet.Core.Imaging;
using DryWet.Core.Registry;
using DryWet.Serving;
using DryWet.Serving.Admission;
using DryWet.Serving.Inference;
using DryWet.Serving.Models;
using DryWet.Serving.Shadow;
using DryWet.Serving.Telemetry;
using DryWet.Tests.Registry;
using DryWet.Tests.Storage;
using DryWet.Tests.Tracking;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace DryWet.Tests.Serving;

/// <summary>
/// The shadow runner yields to live work: an image whose turn comes while a live request waits (here for decode
/// memory) is dropped as <c>live_busy</c>; once nothing live waits, the next one is answered. The real served and
/// shadow models from the embedded registry, the real decode budget; no HTTP.
/// </summary>
public sealed class ShadowRunnerTests : IDisposable
{
    private readonly string _home = TestFolders.NewTempDirectory("shadow-runner");

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Shadow_work_is_dropped_as_live_busy_while_a_live_request_waits_and_answered_once_none_does()
    {
        using var platform = PlatformHost.Build(_home);
        var registry = platform.Services.GetRequiredService<IModelRegistry>();
        var v1 = await RegistryTestModels.LogAndRegisterAsync(platform, Path.Combine(_home, "work"), k: 4f);
        await registry.PromoteAsync("dry_wet_model", v1.Version, cancellationToken: Ct);
        var v2 = await RegistryTestModels.LogAndRegisterAsync(platform, Path.Combine(_home, "work"), k: -4f);
        await registry.SetAliasAsync("dry_wet_model", "challenger", v2.Version, Ct);

        using var services = new ServiceCollection().AddMetrics().BuildServiceProvider();
        var meters = services.GetRequiredService<IMeterFactory>();
        using var telemetry = new ServingTelemetry(meters);
        var modelOptions = Options.Create(new ModelOptions { IntraOpThreads = 1 });
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?> { ["DryWet:Home"] = _home }).Build();
        var source = new RegistryModelSource(registry, modelOptions, configuration, NullLogger<RegistryModelSource>.Instance);
        // One decode slot: a live request holding it makes the next one wait.
        var budget = new DecodeBudget(64L << 20, slots: 1, maxWaiters: 4, TimeSpan.FromSeconds(30));
        using var runner = new InferenceRunner(1, NullLogger<InferenceRunner>.Instance);
        var tuner = new BatchTuner(runner, new BatchTimer(runner), Options.Create(new ServingOptions()), NullLogger<BatchTuner>.Instance);
        var loader = new ModelLoader(modelOptions, Options.Create(new ServingOptions()), budget, runner, tuner,
            new Int8SpeedCheck(Options.Create(new ServingOptions()), NullLogger<Int8SpeedCheck>.Instance), telemetry, NullLogger<ModelLoader>.Instance);
        using var served = new ModelHost(source, loader, telemetry, NullLogger<ModelHost>.Instance);
        (await served.ReloadAsync(Ct)).Succeeded.ShouldBeTrue();
        using var shadows = new ShadowHost(source, served, loader, modelOptions, NullLogger<ShadowHost>.Instance);
        await shadows.RefreshAsync(Ct);
        shadows.Current!.Descriptor.Version.ShouldBe(v2.Version);
        using var answers = new TaggedCounter(meters, "drywet_shadow_agreement_total", "agree");
        using var drops = new TaggedCounter(meters, "drywet_shadow_dropped_total", "reason");
        // A minute's wait: this machine's load must not expire the image before the runner's (lowest-priority) turn.
        using var shadowRunner = new ShadowRunner(new ShadowOptions { MaxWait = TimeSpan.FromMinutes(1) }, shadows, served, budget, telemetry, NullLogger<ShadowRunner>.Instance);

        var model = served.Current!;
        var tensor = new float[model.ImageLength];
        tensor.AsSpan(2 * model.ImageLength / 3).Fill(1f); // blue: v1 says wet, the inverse v2 dry
        var answer = Prediction.FromProbabilities([0.1f, 0.9f], model.Labels);

        var held = await budget.ReserveAsync(1024, Ct);
        var waiting = budget.ReserveAsync(1024, Ct).AsTask();
        await Eventually.TrueAsync(() => budget.Waiting == 1, "a second live request waits for decode memory");
        (await shadowRunner.Offer(model, answer, tensor, ReadOnlyMemory<byte>.Empty).WaitAsync(Ct)).ShouldBeNull();
        drops["live_busy"].ShouldBe(1);
        answers.Total.ShouldBe(0);

        held.Dispose();
        (await waiting).Dispose();
        budget.Waiting.ShouldBe(0);
        var shadowAnswer = await shadowRunner.Offer(model, answer, tensor, ReadOnlyMemory<byte>.Empty).WaitAsync(Ct);
        shadowAnswer.ShouldNotBeNull();
        shadowAnswer.ModelVersion.ShouldBe(v2.Version);
        shadowAnswer.Prediction.ShouldBe("dry");
        answers["false"].ShouldBe(1);
        drops.Total.ShouldBe(1);
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(_home, recursive: true);
        }
        catch (IOException)
        {
            // Best effort: a file still mapped by a disposing session goes with the OS temp folder.
        }
    }
}

using System.Diagnostics.Metrics;
using DryWet.Core.Imaging;
using DryWet.Serving;
using DryWet.Serving.Admission;
using DryWet.Serving.Inference;
using DryWet.Serving.Models;
using DryWet.Serving.Telemetry;
using DryWet.Tests.Training;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace DryWet.Tests.Serving;

/// <summary>The model-polling loop survives any exception from the source: it is logged and asked again next interval.</summary>
public sealed class ModelPollingTests
{
    [Fact]
    public async Task Polling_goes_on_after_unexpected_exceptions_and_reloads_when_the_version_moves()
    {
        using var folder = new TempFolder();
        var package = TestModels.WritePackage(folder.Sub("package"), TestModels.BlueVersusRed(), imgSize: 16);
        var source = new FlakySource(package, failures: 3);
        var modelOptions = Options.Create(new ModelOptions { PollInterval = TimeSpan.FromMilliseconds(50), IntraOpThreads = 1 });
        var servingOptions = new ServingOptions();
        using var services = new ServiceCollection().AddMetrics().BuildServiceProvider();
        using var telemetry = new ServingTelemetry(services.GetRequiredService<IMeterFactory>());
        using var runner = new InferenceRunner(1, NullLogger<InferenceRunner>.Instance);
        var tuner = new BatchTuner(runner, new BatchTimer(runner), Options.Create(servingOptions), NullLogger<BatchTuner>.Instance);
        var loader = new ModelLoader(modelOptions, Options.Create(servingOptions),
            new DecodeBudget(servingOptions.DecodeMemoryBudgetBytes, 1, 4, TimeSpan.FromSeconds(5)), runner, tuner,
            new Int8SpeedCheck(Options.Create(servingOptions), NullLogger<Int8SpeedCheck>.Instance), telemetry, NullLogger<ModelLoader>.Instance);
        using var host = new ModelHost(source, loader, telemetry, NullLogger<ModelHost>.Instance);
        using var service = new ModelStartupService(host, source, modelOptions, NullLogger<ModelStartupService>.Instance);

        await service.StartAsync(TestContext.Current.CancellationToken);
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (host.Current?.Descriptor.Version != "2")
        {
            service.ExecuteTask!.IsFaulted.ShouldBeFalse(service.ExecuteTask.Exception?.ToString());
            DateTime.UtcNow.ShouldBeLessThan(deadline, $"version 2 was never loaded; {source.Peeks} polls");
            await Task.Delay(20, TestContext.Current.CancellationToken);
        }

        source.Peeks.ShouldBeGreaterThan(3);
        await service.StopAsync(TestContext.Current.CancellationToken);
    }

    /// <summary>Serves version 1, then fails the first polls with an exception no source is documented to throw, then says 2.</summary>
    private sealed class FlakySource(string package, int failures) : IModelSource, IWatchableModelSource
    {
        private int _peeks;

        public int Peeks => Volatile.Read(ref _peeks);
        public string Description => "flaky test source";

        public Task<ModelCandidate> FetchAsync(CancellationToken cancellationToken)
        {
            var version = Peeks > failures ? "2" : "1";
            return Task.FromResult(new ModelCandidate(package,
                new ModelDescriptor("dry_wet_model", version, "Production", "test", 0, 0, $"file://{package}")));
        }

        public Task<string?> PeekVersionAsync(CancellationToken cancellationToken) =>
            Interlocked.Increment(ref _peeks) <= failures
                ? throw new InvalidOperationException("the source had a bad moment")
                : Task.FromResult<string?>("2");
    }
}

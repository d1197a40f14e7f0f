using System.Diagnostics.Metrics;
using System.Globalization;
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

/// <summary>
/// The model-polling loop survives any exception from the source: it is logged and asked again next interval; while no
/// model is loaded, the retries never wait longer than a poll.
/// </summary>
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

    [Theory]
    // No polling: 5 s doubling up to a minute, as before.
    [InlineData("00:00:05", "00:00:00", "5,10,20,40,60,60")]
    // The AppHost's 30 s polling: never longer than a poll, so a first model promoted while serving waits is served
    // within one interval, like any later promotion.
    [InlineData("00:00:05", "00:00:30", "5,10,20,30,30,30")]
    // Polling longer than a minute: the minute still bounds the retries.
    [InlineData("00:00:05", "00:05:00", "5,10,20,40,60,60")]
    // A first wait longer than the cap is kept, never shortened.
    [InlineData("00:10:00", "00:00:30", "600,600,600,600,600,600")]
    [InlineData("00:00:00.200", "00:00:00.500", "0.2,0.4,0.5,0.5,0.5,0.5")]
    public void Retries_while_no_model_is_loaded_double_up_to_a_minute_and_never_wait_longer_than_a_poll(string first, string poll, string expected)
    {
        var settings = new ModelOptions { RetryInterval = TimeSpan.Parse(first, CultureInfo.InvariantCulture), PollInterval = TimeSpan.Parse(poll, CultureInfo.InvariantCulture) };
        var waits = new List<double>();
        var delay = settings.RetryInterval;
        for (var i = 0; i < 6; i++)
        {
            waits.Add(delay.TotalSeconds);
            delay = ModelStartupService.NextRetry(delay, settings);
        }

        string.Join(",", waits.Select(w => w.ToString(CultureInfo.InvariantCulture))).ShouldBe(expected);
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

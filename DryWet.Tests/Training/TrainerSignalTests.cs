using System.Text.RegularExpressions;
using DryWet.Core.Packaging;
using DryWet.Core.Registry;
using DryWet.Core.Storage;
using DryWet.Core.Tracking;
using DryWet.Tests.AppHost;
using DryWet.Tests.Platform;
using DryWet.Tests.Storage;
using DryWet.Tests.Tracking;
using DryWet.TrainingWorker.Data;
using Microsoft.Extensions.DependencyInjection;

namespace DryWet.Tests.Training;

/// <summary>
/// Stop means stop: a real trainer process (the shipped tiny config on sample data) gets a real SIGINT (Ctrl+C) or
/// SIGTERM (a pod or a Kubeflow step being stopped) from <c>kill</c> while it trains or watches. It must exit 130 within
/// seconds, end its tracked run KILLED, register nothing, leave the output folder as it was and remove its scratch
/// folders. The limits are bounds against a process that ignores the signal (a whole run takes minutes here), not
/// timings.
/// </summary>
public sealed partial class TrainerSignalTests : IDisposable
{
    /// <summary>From the signal to the exit: the batch in flight, ending the run, removing scratch, on a busy machine.</summary>
    private static readonly TimeSpan StopLimit = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan StartLimit = TimeSpan.FromMinutes(4);
    private static readonly string TinyConfig = Path.Combine(RepositoryPaths.AppHostDirectory, "config", "tiny.yaml");

    private readonly TempFolder _temp = new();

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private string Home => Path.Combine(_temp.Path, "home");

    /// <summary>The child's temp folder (its scratch folders go there), so the test can see that none is left.</summary>
    private string Scratch => Path.Combine(_temp.Path, "tmp");

    [Theory]
    [InlineData("INT", false)]
    [InlineData("TERM", true)]
    public async Task Train_stops_at_the_next_batch_ends_the_run_KILLED_registers_nothing_and_exits_130(string signal, bool previousPackage)
    {
        var data = SampleZip();
        var output = Path.Combine(Directory.CreateDirectory(Path.Combine(_temp.Path, "out")).FullName, "model");
        var previousMlmodel = previousPackage ? WritePreviousPackage(output) : null;

        using var trainer = RunningTrainer.Start(Environment(), "train", "--config", TinyConfig, "--data", data, "--output", output, "--threads", "1");
        await trainer.WaitForOutputAsync(" epoch=1 ", StartLimit, Ct);
        await trainer.SignalAsync(signal, Ct);
        var exit = await trainer.WaitForExitAsync(StopLimit, Ct);

        exit.ShouldBe(130, $"stdout:\n{trainer.StdOut}\nstderr:\n{trainer.StdErr}");
        trainer.StdErr.ShouldContain($"SIG{signal} received: stopping");
        trainer.StdErr.ShouldContain("cancelled.");
        await ShouldBeKilledWithNothingRegisteredAsync(RunId(trainer.StdOut));
        if (previousMlmodel is null)
        {
            Directory.Exists(output).ShouldBeFalse("a cancelled run writes no package");
            Directory.GetFileSystemEntries(Path.Combine(_temp.Path, "out")).ShouldBeEmpty("no temp folder next to the output");
        }
        else
        {
            File.ReadAllText(Path.Combine(output, ModelPackage.MLmodelFile)).ShouldBe(previousMlmodel, "the previous package is untouched");
            Directory.GetFileSystemEntries(Path.Combine(_temp.Path, "out")).ShouldBe([output], "no temp folder next to the output");
        }

        Directory.GetFileSystemEntries(Scratch).ShouldBeEmpty("the run's scratch folder is removed");
    }

    [Fact]
    public async Task Watch_exits_130_on_SIGTERM_while_it_waits_for_data()
    {
        using var watcher = RunningTrainer.Start(Environment(), "watch", "--config", TinyConfig, "--interval", "1s");
        await watcher.WaitForOutputAsync("Watching the dataset at s3://ml-data/", StartLimit, Ct);
        await watcher.SignalAsync("TERM", Ct);
        var exit = await watcher.WaitForExitAsync(StopLimit, Ct);

        exit.ShouldBe(130, $"stdout:\n{watcher.StdOut}\nstderr:\n{watcher.StdErr}");
        watcher.StdErr.ShouldContain("cancelled.");
        Directory.GetFileSystemEntries(Path.Combine(Home, "watch", "work")).ShouldBeEmpty();
    }

    [Fact]
    public async Task Watch_on_SIGINT_during_its_training_ends_the_run_KILLED_registers_nothing_and_exits_130()
    {
        using (var platform = PlatformHost.Build(Home))
        {
            var objects = platform.Services.GetRequiredService<IObjectStore>();
            await objects.EnsureBucketAsync("ml-data", Ct);
            await objects.UploadFileAsync("ml-data", "dry-wet-data.zip", SampleZip(), Ct);
        }

        using var watcher = RunningTrainer.Start(Environment(), "watch", "--config", TinyConfig, "--interval", "1s", "--debounce", "0s", "--threads", "1");
        await watcher.WaitForOutputAsync(" epoch=1 ", StartLimit, Ct);
        await watcher.SignalAsync("INT", Ct);
        var exit = await watcher.WaitForExitAsync(StopLimit, Ct);

        exit.ShouldBe(130, $"stdout:\n{watcher.StdOut}\nstderr:\n{watcher.StdErr}");
        await ShouldBeKilledWithNothingRegisteredAsync(RunId(watcher.StdOut));
        Directory.Exists(Path.Combine(Home, "watch", "model")).ShouldBeFalse("a cancelled run writes no package");
        Directory.GetFileSystemEntries(Path.Combine(Home, "watch", "work")).ShouldBeEmpty("the downloaded zip is removed");
        Directory.GetFileSystemEntries(Scratch).ShouldBeEmpty("the run's scratch folder is removed");
    }

    public void Dispose() => _temp.Dispose();

    private Dictionary<string, string> Environment()
    {
        Directory.CreateDirectory(Scratch);
        return new Dictionary<string, string> { ["DryWet__Home"] = Home, ["TMPDIR"] = Scratch };
    }

    /// <summary>"Load sample data"'s images (fewer per class: the first epoch comes sooner).</summary>
    private string SampleZip()
    {
        var zip = Path.Combine(_temp.Path, "data.zip");
        if (!File.Exists(zip))
        {
            SampleDataset.WriteZip(zip, countPerClass: 40, SampleDataset.DefaultSize, SampleDataset.DefaultSeed);
        }

        return zip;
    }

    private string WritePreviousPackage(string output)
    {
        var onnx = Path.Combine(_temp.Path, "previous.onnx");
        File.WriteAllBytes(onnx, [1, 2, 3]);
        ModelPackage.Write(output, new ModelPackageContents(onnx, new DryWet.Core.Configuration.DryWetConfig(), ["dry", "wet"],
            new Dictionary<string, double>(), new Dictionary<string, string>(), RunId: "previous"));
        return File.ReadAllText(Path.Combine(output, ModelPackage.MLmodelFile));
    }

    private async Task ShouldBeKilledWithNothingRegisteredAsync(string runId)
    {
        using var platform = PlatformHost.Build(Home);
        var run = await platform.Services.GetRequiredService<ITrackedRunReader>().GetRunAsync(runId, Ct);
        run.Status.ShouldBe("KILLED");
        run.Tags["drywet.failure"].ShouldBe("cancelled");
        (await platform.Services.GetRequiredService<IModelRegistry>().ListVersionsAsync("dry_wet_model", Ct)).ShouldBeEmpty();
    }

    private static string RunId(string stdout) => TrackingLine().Match(stdout) is { Success: true } match
        ? match.Groups["id"].Value
        : throw new ShouldAssertException($"no 'Tracking: …, run <id>.' line in:\n{stdout}");

    [GeneratedRegex(@"Tracking: .*, run (?<id>[0-9a-f]{32})\.")]
    private static partial Regex TrackingLine();
}

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

    /// <summary>
    /// A stop that arrives after the promotion gate's decision, while the model is being registered (the fake MLflow
    /// keeps the new version PENDING_REGISTRATION for a while, so both signals land there): the commit is atomic by
    /// completion. The version ends READY and promoted as the gate decided, the package is published, the run is
    /// FINISHED, the output says why, and the exit is 0; a second, impatient signal is held rather than leaving a
    /// version registered but not promoted.
    /// </summary>
    [Fact]
    public async Task A_stop_after_the_gate_decided_lets_the_commit_finish_registered_promoted_FINISHED_and_exits_0()
    {
        await using var mlflow = await FakeMlflowServer.StartAsync();
        mlflow.PendingPolls = 20; // about 20 s of registration at the client's 1 s poll interval
        var output = Path.Combine(_temp.Path, "model");
        var environment = Environment();
        environment["ConnectionStrings__mlflow"] = $"Endpoint={mlflow.BaseAddress}";

        using var trainer = RunningTrainer.Start(environment, "train", "--config", OneEpochConfig(), "--data", SampleZip(), "--output", output,
            "--threads", "1", "--promote", "always");
        await trainer.WaitForOutputAsync("Registering dry_wet_model", StartLimit, Ct);
        await trainer.SignalAsync("TERM", Ct);
        await trainer.WaitForOutputAsync("SIGTERM received while publishing, registering and promoting the model", StopLimit, Ct);
        await trainer.SignalAsync("INT", Ct);
        var exit = await trainer.WaitForExitAsync(TimeSpan.FromMinutes(2), Ct);

        exit.ShouldBe(0, $"stdout:\n{trainer.StdOut}\nstderr:\n{trainer.StdErr}");
        trainer.StdErr.ShouldContain("SIGINT received again while publishing, registering and promoting the model: held");
        trainer.StdErr.ShouldNotContain("cancelled.");
        trainer.StdOut.ShouldContain("The stop came after the promotion gate's decision");
        var version = mlflow.VersionsOf("dry_wet_model").ShouldHaveSingleItem();
        (version.Version, version.Status, version.Stage).ShouldBe(("1", "READY", "Production"), "registered and promoted, as --promote always decided");
        var run = mlflow.RunSummaries.ShouldHaveSingleItem();
        run.Status.ShouldBe("FINISHED");
        run.Tags["drywet.promotion"].ShouldBe("first");
        File.Exists(Path.Combine(output, ModelPackage.MLmodelFile)).ShouldBeTrue("the package is published");
        Directory.GetFileSystemEntries(_temp.Path).Select(Path.GetFileName).ShouldNotContain(n => n!.StartsWith('.'), "no temp folder next to the output");
        // The run's scratch folder (drywet-train-…) is removed; a full run's native libraries may leave their own entries in TMPDIR.
        Directory.GetFileSystemEntries(Scratch).Select(Path.GetFileName).ShouldNotContain(n => n!.StartsWith("drywet-"), "the run's scratch folder is removed");
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

    /// <summary>One quick epoch on small images: the test is about what follows the gate, not the model.</summary>
    private string OneEpochConfig()
    {
        var path = Path.Combine(_temp.Path, "config.yaml");
        File.WriteAllText(path, "model:\n  architecture: efficientnet_tiny\ntraining:\n  img_size: 32\n  batch_size: 8\n  epochs: 1\n");
        return path;
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

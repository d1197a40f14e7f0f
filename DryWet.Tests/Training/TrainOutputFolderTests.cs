using DryWet.Core.Packaging;
using DryWet.Tests.Storage;
using DryWet.TrainingWorker.Data;

namespace DryWet.Tests.Training;

/// <summary>
/// <c>train --output DIR</c> never deletes what DryWet did not write: a folder that is neither empty nor a model package
/// is refused (exit 2, naming it) before any training, unless <c>--force</c>; never one holding the run's own data.
/// A real trainer process, as a user runs it.
/// </summary>
public sealed class TrainOutputFolderTests : IDisposable
{
    private readonly TempFolder _temp = new();

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_folder_holding_other_files_is_refused_with_exit_2_naming_it_and_nothing_is_deleted_or_tracked()
    {
        var output = Directory.CreateDirectory(Path.Combine(_temp.Path, "documents")).FullName;
        File.WriteAllText(Path.Combine(output, "thesis.docx"), "years of work");
        Directory.CreateDirectory(Path.Combine(output, "figures"));

        var (exit, stdout, stderr) = await Trainer("train", "--config", SmallConfig(), "--data", SampleZip(), "--output", output);

        exit.ShouldBe(2, stderr);
        stderr.ShouldContain($"'{output}' is not empty and is not a model package");
        stderr.ShouldContain("--force");
        File.ReadAllText(Path.Combine(output, "thesis.docx")).ShouldBe("years of work");
        Directory.Exists(Path.Combine(output, "figures")).ShouldBeTrue();
        stdout.ShouldNotContain("Tracking:", customMessage: "refused before a run is started");
    }

    [Fact]
    public async Task An_output_folder_that_holds_the_data_is_refused_even_with_force()
    {
        var output = Directory.CreateDirectory(Path.Combine(_temp.Path, "project")).FullName;
        var data = Path.Combine(output, "data.zip");
        File.Copy(SampleZip(), data);

        var (exit, _, stderr) = await Trainer("train", "--config", SmallConfig(), "--data", data, "--output", output, "--force");

        exit.ShouldBe(2, stderr);
        stderr.ShouldContain($"--output '{output}' contains --data '{data}'");
        File.Exists(data).ShouldBeTrue();
    }

    [Fact]
    public async Task With_force_a_folder_that_is_not_a_package_is_replaced_by_the_package()
    {
        var output = Directory.CreateDirectory(Path.Combine(_temp.Path, "scratchpad")).FullName;
        File.WriteAllText(Path.Combine(output, "old-notes.txt"), "replace me");

        var (exit, _, stderr) = await Trainer("train", "--config", SmallConfig(), "--data", SampleZip(), "--output", output,
            "--force", "--no-register", "--threads", "1");

        exit.ShouldBe(0, stderr);
        ModelPackage.Load(output).Labels.ShouldBe(["dry", "wet"]);
        File.Exists(Path.Combine(output, "old-notes.txt")).ShouldBeFalse();
        Directory.GetFileSystemEntries(_temp.Path).Order().ShouldBe(
            new[] { "config.yaml", "data.zip", "home", "scratchpad" }.Select(n => Path.Combine(_temp.Path, n)), "no temp folder next to the output");
    }

    public void Dispose() => _temp.Dispose();

    /// <summary>One quick epoch: these tests are about the output folder, not the model.</summary>
    private string SmallConfig()
    {
        var path = Path.Combine(_temp.Path, "config.yaml");
        File.WriteAllText(path, "model:\n  architecture: efficientnet_tiny\ntraining:\n  img_size: 32\n  batch_size: 8\n  epochs: 1\n");
        return path;
    }

    private string SampleZip()
    {
        var zip = Path.Combine(_temp.Path, "data.zip");
        if (!File.Exists(zip))
        {
            SampleDataset.WriteZip(zip, countPerClass: 12, size: 40, SampleDataset.DefaultSeed);
        }

        return zip;
    }

    private async Task<(int ExitCode, string StdOut, string StdErr)> Trainer(params string[] args) =>
        await TrainerProcess.RunAsync(new Dictionary<string, string> { ["DryWet__Home"] = Path.Combine(_temp.Path, "home") }, Ct, args);
}

using DryWet.Core.Storage;
using DryWet.Tests.Storage;
using DryWet.Tests.Tracking;
using DryWet.TrainingWorker.Data;
using Microsoft.Extensions.DependencyInjection;

namespace DryWet.Tests.Training;

/// <summary>
/// <c>download --output DIR</c> follows <c>train --output</c>'s rule: it replaces only a folder a download wrote (its
/// <c>.drywet-download</c> mark) or an empty one; any other folder is refused (exit 2, naming it) before anything is
/// fetched, unless <c>--force</c>. A real trainer process against the embedded object store, as a user runs it.
/// </summary>
public sealed class DownloadOutputFolderTests : IDisposable
{
    private readonly TempFolder _temp = new();

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private string Home => Path.Combine(_temp.Path, "home");

    [Fact]
    public async Task A_folder_holding_other_files_is_refused_with_exit_2_naming_it_and_nothing_is_deleted()
    {
        await StoreDatasetAsync();
        var output = Directory.CreateDirectory(Path.Combine(_temp.Path, "photos")).FullName;
        File.WriteAllText(Path.Combine(output, "holiday.jpg"), "not a dataset");
        Directory.CreateDirectory(Path.Combine(output, "dry"));

        var (exit, _, stderr) = await Trainer("download", "--output", output);

        exit.ShouldBe(2, stderr);
        stderr.ShouldContain($"'{output}' is not empty and is not a downloaded dataset");
        stderr.ShouldContain("--force");
        File.ReadAllText(Path.Combine(output, "holiday.jpg")).ShouldBe("not a dataset");
        Directory.GetFileSystemEntries(output).Length.ShouldBe(2, "nothing added or removed");
        Directory.GetFileSystemEntries(_temp.Path).Order().ShouldBe(new[] { Home, output }, ignoreOrder: false, customMessage: "no temp folder next to the output");
    }

    [Fact]
    public async Task A_folder_a_download_wrote_is_replaced_and_with_force_any_folder_is()
    {
        await StoreDatasetAsync();
        var output = Path.Combine(_temp.Path, "data");

        var first = await Trainer("download", "--output", output);
        first.ExitCode.ShouldBe(0, first.StdErr);
        File.Exists(Path.Combine(output, DatasetDownloader.MarkFile)).ShouldBeTrue();
        Directory.GetDirectories(output).Select(Path.GetFileName).Order().ShouldBe(["dry", "wet"]);

        File.WriteAllText(Path.Combine(output, "dry", "stale.jpg"), "from the previous download");
        var again = await Trainer("download", "--output", output);
        again.ExitCode.ShouldBe(0, again.StdErr);
        File.Exists(Path.Combine(output, "dry", "stale.jpg")).ShouldBeFalse("its own earlier download is replaced whole");

        var notes = Directory.CreateDirectory(Path.Combine(_temp.Path, "notes")).FullName;
        File.WriteAllText(Path.Combine(notes, "todo.txt"), "replace me");
        var forced = await Trainer("download", "--output", notes, "--force");
        forced.ExitCode.ShouldBe(0, forced.StdErr);
        File.Exists(Path.Combine(notes, "todo.txt")).ShouldBeFalse();
        Directory.GetDirectories(notes).Select(Path.GetFileName).Order().ShouldBe(["dry", "wet"]);
    }

    public void Dispose() => _temp.Dispose();

    /// <summary>The sample zip at the trainer's default object, <c>ml-data/dry-wet-data.zip</c>, in the embedded store.</summary>
    private async Task StoreDatasetAsync()
    {
        using var zipFolder = new TempFolder();
        var zip = Path.Combine(zipFolder.Path, "data.zip");
        SampleDataset.WriteZip(zip, countPerClass: 2, size: 16, seed: 5);
        using var platform = PlatformHost.Build(Home);
        var objects = platform.Services.GetRequiredService<IObjectStore>();
        await objects.EnsureBucketAsync("ml-data", Ct);
        await objects.UploadFileAsync("ml-data", "dry-wet-data.zip", zip, Ct);
    }

    private async Task<(int ExitCode, string StdOut, string StdErr)> Trainer(params string[] args) =>
        await TrainerProcess.RunAsync(new Dictionary<string, string> { ["DryWet__Home"] = Home }, Ct, args);
}

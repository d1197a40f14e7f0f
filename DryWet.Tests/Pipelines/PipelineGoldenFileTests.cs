using System.CommandLine;
using DryWet.Tests.Platform;
using DryWet.Tests.Storage;
using DryWet.TrainingWorker.Commands;
using DryWet.TrainingWorker.Pipelines;

namespace DryWet.Tests.Pipelines;

/// <summary>
/// Pins the compiled pipeline byte for byte. After an intended change, regenerate with
/// <c>DRYWET_UPDATE_SNAPSHOTS=true</c> (that run rewrites the file and fails, so it can never bless its own output) and review the diff.
/// </summary>
public class PipelineGoldenFileTests
{
    private static readonly string GoldenPath = RepositoryPaths.Combine("DryWet.Tests", "Pipelines", "Golden", "dry-wet-model-training-pipeline.yaml");

    [Fact]
    public void Compiled_pipeline_matches_the_committed_golden_file()
    {
        var actual = KubeflowPipelineCompiler.Compile(new()).ToYaml();
        Snapshots.Match(GoldenPath, actual);
    }

    [Fact]
    public void Compile_command_writes_the_same_file_atomically()
    {
        var dir = TestFolders.NewTempDirectory("drywet-pipeline");
        try
        {
            var path = Path.Combine(dir, "out", "pipeline.yaml");
            KubeflowPipelineCompiler.Compile(new()).WriteYaml(path);
            File.ReadAllText(path).ShouldBe(KubeflowPipelineCompiler.Compile(new()).ToYaml());
            Directory.GetFiles(Path.GetDirectoryName(path)!).ShouldBe([path], "no temp file left behind");
        }
        finally
        {
            TestFolders.DeleteQuietly(dir);
        }
    }

    [Fact]
    public async Task The_compile_command_writes_the_golden_pipeline_and_refuses_bad_flags_with_exit_2()
    {
        var root = new RootCommand();
        foreach (var command in TrainerCommands.All())
        {
            root.Subcommands.Add(command);
        }

        var dir = TestFolders.NewTempDirectory("drywet-compile");
        try
        {
            var path = Path.Combine(dir, "pipeline.yaml");
            (await root.Parse(["pipeline", "compile", "--output", path]).InvokeAsync(cancellationToken: TestContext.Current.CancellationToken)).ShouldBe(0);
            (await File.ReadAllTextAsync(path, TestContext.Current.CancellationToken)).ShouldBe(await File.ReadAllTextAsync(GoldenPath, TestContext.Current.CancellationToken));

            var other = Path.Combine(dir, "bad.yaml");
            (await root.Parse(["pipeline", "compile", "--output", other, "--gpus", "-1"]).InvokeAsync(cancellationToken: TestContext.Current.CancellationToken)).ShouldBe(2);
            File.Exists(other).ShouldBeFalse("nothing is written for a refused spec");
        }
        finally
        {
            TestFolders.DeleteQuietly(dir);
        }
    }
}

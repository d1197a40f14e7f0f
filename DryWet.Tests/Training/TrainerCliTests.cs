using System.Diagnostics;

namespace DryWet.Tests.Training;

/// <summary>The trainer's command line as a user runs it: a real process, exit codes and messages.</summary>
public sealed class TrainerCliTests
{
    private static async Task<(int ExitCode, string Output, string Error)> Trainer(params string[] args)
    {
        // The same host as this test process (the TorchSharp compat host under ./test.sh).
        var start = new ProcessStartInfo(Environment.ProcessPath!)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "DryWet.TrainingWorker.dll"));
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync(TestContext.Current.CancellationToken);
        var error = process.StandardError.ReadToEndAsync(TestContext.Current.CancellationToken);
        await process.WaitForExitAsync(TestContext.Current.CancellationToken);
        return (process.ExitCode, await output, await error);
    }

    [Fact]
    public async Task Train_with_an_invalid_config_exits_2_and_lists_every_bad_key()
    {
        using var temp = new TempFolder();
        var config = Path.Combine(temp.Path, "config.yaml");
        await File.WriteAllTextAsync(config, """
            training:
              batch_size: 0
              learning_rate: -1
            scheduler:
              mode: sideways
            augmentation:
              scale: [1.2, 0.8]
            """, TestContext.Current.CancellationToken);

        var (exit, _, error) = await Trainer("train", "--config", config, "--data", temp.Path, "--output", Path.Combine(temp.Path, "out"));

        exit.ShouldBe(2);
        error.ShouldContain("training.batch_size = 0");
        error.ShouldContain("training.learning_rate = -1");
        error.ShouldContain("scheduler.mode = 'sideways'");
        error.ShouldContain("augmentation.scale = [1.2, 0.8]");
        Directory.Exists(Path.Combine(temp.Path, "out")).ShouldBeFalse();
    }

    [Fact]
    public async Task Train_with_a_missing_config_or_missing_data_says_what_and_where()
    {
        using var temp = new TempFolder();
        var (exit, _, error) = await Trainer("train", "--config", Path.Combine(temp.Path, "nope.yaml"), "--data", temp.Path, "--output", Path.Combine(temp.Path, "out"));
        exit.ShouldBe(2);
        error.ShouldContain("nope.yaml' does not exist");

        var config = Path.Combine(temp.Path, "config.yaml");
        await File.WriteAllTextAsync(config, "training:\n  img_size: 32\n", TestContext.Current.CancellationToken);
        (exit, _, error) = await Trainer("train", "--config", config, "--data", Path.Combine(temp.Path, "data.zip"), "--output", Path.Combine(temp.Path, "out"));
        exit.ShouldBe(2);
        error.ShouldContain("data.zip' does not exist");
        error.ShouldContain("sample-data");
    }

    [Fact]
    public async Task Sample_data_writes_the_zip_and_rejects_a_bad_count()
    {
        using var temp = new TempFolder();
        var zip = Path.Combine(temp.Path, "sub", "data.zip");
        var (exit, output, _) = await Trainer("sample-data", "--output", zip, "--count", "4", "--size", "32", "--seed", "3");
        exit.ShouldBe(0);
        output.ShouldContain("Wrote 8 images");
        File.Exists(zip).ShouldBeTrue();

        (exit, _, var error) = await Trainer("sample-data", "--output", zip, "--count", "0");
        exit.ShouldBe(2);
        error.ShouldContain("--count = 0");
    }
}

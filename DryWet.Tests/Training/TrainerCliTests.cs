using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;
using DryWet.Tests.AppHost;
using DryWet.Tests.Platform;
using DryWet.TrainingWorker.Data;

namespace DryWet.Tests.Training;

/// <summary>The trainer's command line as a user runs it: a real process, exit codes and messages.</summary>
public sealed partial class TrainerCliTests(ShippedConfigTrainings shipped) : IClassFixture<ShippedConfigTrainings>
{
    private Task<(int ExitCode, string Output, string Error)> Trainer(params string[] args) => TrainerUnder(CpuKernels.Default, args);

    private async Task<(int ExitCode, string Output, string Error)> TrainerUnder(string kernels, params string[] args)
    {
        // The same host as this test process (the TorchSharp compat host under ./test.sh).
        var start = new ProcessStartInfo(Environment.ProcessPath!)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        // Never the developer's ~/.drywet: runs, registrations and caches go to this test run's own home.
        start.Environment["DryWet__Home"] = shipped.Home;
        CpuKernels.Apply(kernels, start.Environment);
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

        (exit, _, error) = await Trainer("train", "--config", config, "--output", Path.Combine(temp.Path, "out"));
        exit.ShouldBe(2);
        error.ShouldContain("pass --data <zip|folder|s3://bucket/> or set data.data_path");
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

    [Fact]
    public async Task Sample_data_then_train_writes_a_package_and_logs_one_line_per_epoch_when_redirected()
    {
        using var temp = new TempFolder();
        var zip = Path.Combine(temp.Path, "data.zip");
        (await Trainer("sample-data", "--output", zip, "--count", "12", "--size", "40")).ExitCode.ShouldBe(0);
        var config = Path.Combine(temp.Path, "config.yaml");
        await File.WriteAllTextAsync(config, """
            model:
              architecture: efficientnet_tiny
            training:
              img_size: 32
              batch_size: 8
              epochs: 2
            """, TestContext.Current.CancellationToken);
        var output = Path.Combine(temp.Path, "model");

        var (exit, stdout, error) = await Trainer("train", "--config", config, "--data", zip, "--output", output, "--threads", "1");

        exit.ShouldBe(0, error);
        stdout.ShouldContain(" epoch=1 train_loss=");
        stdout.ShouldContain(" epoch=2 train_loss=");
        stdout.ShouldContain("train 20, validation 4");
        var package = DryWet.Core.Packaging.ModelPackage.Load(output);
        package.Labels.ShouldBe(["dry", "wet"]);
        package.Config.Model.Architecture.ShouldBe("efficientnet_tiny");
        File.ReadAllText(Path.Combine(output, "classification_report.txt")).ShouldContain("weighted avg");
    }

    /// <summary>
    /// What a new user runs: <c>sample-data</c> with its defaults (another data seed here and there), then <c>train</c>
    /// with the shipped tiny config, untouched, under libtorch's own CPU kernels and under pinned AVX2 ones (other
    /// kernels, other numbers: issue 21 measured 0.85 on an AVX-512 machine). The package must classify fresh sample
    /// images (200, from two seeds never trained on) at least 95 % correctly through serving's preprocessing and ONNX
    /// Runtime, and the run's own best_val_acc must tell the truth about that: within 5 points of the fresh accuracy.
    /// Measured (docs/training.md): 0.99–1.0 fresh, best_val_acc 1.0. On a CPU whose best is AVX2 the two kernel sets
    /// are the same kernels (the same seeded run, same numbers): each seed is trained once there and both rows assert
    /// on that run (<see cref="ShippedConfigTrainings"/>); an AVX-512 machine trains all four.
    /// </summary>
    [Theory]
    [InlineData(SampleDataset.DefaultSeed, CpuKernels.Default)]
    [InlineData(SampleDataset.DefaultSeed, CpuKernels.Avx2)]
    [InlineData(7, CpuKernels.Default)]
    [InlineData(7, CpuKernels.Avx2)]
    public async Task Sample_data_defaults_then_the_shipped_tiny_config_learns_to_95_percent_on_fresh_images(int dataSeed, string kernels)
    {
        var (exit, stdout, error, output, trainedUnder) = await shipped.GetAsync(dataSeed, kernels, (folder, trainUnder) => SampleDataThenTrainAsync(folder, dataSeed, trainUnder));
        if (trainedUnder != kernels)
        {
            TestContext.Current.SendDiagnosticMessage($"seed {dataSeed}: {kernels} kernels are the {trainedUnder} kernels on this CPU, so this is the run trained under {trainedUnder}");
        }

        exit.ShouldBe(0, error);
        stdout.ShouldContain("train 480, validation 120");
        var bestValAcc = double.Parse(BestValAcc().Match(stdout).Groups[1].Value, CultureInfo.InvariantCulture);
        var fresh = (FreshSampleAccuracy.Of(output, seed: 4242, perClass: 50) + FreshSampleAccuracy.Of(output, seed: 99, perClass: 50)) / 2;
        TestContext.Current.SendDiagnosticMessage($"seed {dataSeed}, {kernels} kernels: best_val_acc {bestValAcc:F3}, accuracy on 200 fresh sample images {fresh:F3}");
        fresh.ShouldBeGreaterThanOrEqualTo(0.95);
        Math.Abs(bestValAcc - fresh).ShouldBeLessThanOrEqualTo(0.05, "the validation split must predict accuracy on new images");
    }

    /// <summary><c>sample-data</c> (its defaults, or another seed), then <c>train</c> with the shipped tiny config under <paramref name="kernels"/>.</summary>
    private async Task<(int ExitCode, string Output, string Error, string Package, string Kernels)> SampleDataThenTrainAsync(string folder, int dataSeed, string kernels)
    {
        var zip = Path.Combine(folder, "data.zip");
        var args = dataSeed == SampleDataset.DefaultSeed ? new[] { "sample-data", "--output", zip } : ["sample-data", "--output", zip, "--seed", dataSeed.ToString(CultureInfo.InvariantCulture)];
        (await Trainer(args)).ExitCode.ShouldBe(0);
        var output = Path.Combine(folder, "model");
        var config = Path.Combine(RepositoryPaths.AppHostDirectory, "config", "tiny.yaml");

        var watch = Stopwatch.StartNew();
        var (exit, stdout, error) = await TrainerUnder(kernels, "train", "--config", config, "--data", zip, "--output", output, "--no-register");
        TestContext.Current.SendDiagnosticMessage($"seed {dataSeed}, {kernels} kernels: trained in {watch.Elapsed.TotalSeconds:F0} s");
        return (exit, stdout, error, output, kernels);
    }

    [GeneratedRegex(@"best_val_acc (\d\.\d+) \(epoch \d+\)")]
    private static partial Regex BestValAcc();
}

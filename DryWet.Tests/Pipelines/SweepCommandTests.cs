using System.CommandLine;
using DryWet.Core;
using DryWet.Tests.Platform;
using DryWet.TrainingWorker.Commands;
using DryWet.TrainingWorker.Pipelines;

namespace DryWet.Tests.Pipelines;

/// <summary>
/// <c>pipeline compile --sweep … --parallelism N</c> as a user types it: the documented example is pinned byte for byte
/// (regenerate with DRYWET_UPDATE_SNAPSHOTS=true, as the training pipeline's golden file), every bad input is exit 2 with a
/// message naming the value, and nothing is written for a refused sweep.
/// </summary>
public class SweepCommandTests
{
    private static readonly string GoldenPath = RepositoryPaths.Combine("DryWet.Tests", "Pipelines", "Golden", "dry-wet-model-sweep-pipeline.yaml");

    private static async Task<(int ExitCode, string Error)> CompileAsync(params string[] args)
    {
        var root = new RootCommand();
        foreach (var command in TrainerCommands.All())
        {
            root.Subcommands.Add(command);
        }

        var error = new StringWriter();
        var previous = Console.Error;
        Console.SetError(error);
        try
        {
            var exit = await root.Parse(["pipeline", "compile", .. args]).InvokeAsync(cancellationToken: TestContext.Current.CancellationToken);
            return (exit, error.ToString());
        }
        finally
        {
            Console.SetError(previous);
        }
    }

    [Fact]
    public void The_documented_sweep_matches_the_committed_golden_file()
    {
        var actual = KubeflowPipelineCompiler.Compile(SweepPipelineSpecTests.SweepSettings(parallelism: 2)).ToYaml();
        Snapshots.Match(GoldenPath, actual);
        actual.ShouldStartWith("# PIPELINE DEFINITION\n# Name: dry-wet-model-sweep-pipeline\n");
    }

    [Fact]
    public async Task Compile_with_sweep_flags_writes_the_golden_sweep()
    {
        using var temp = new DryWet.Tests.Training.TempFolder();
        var path = Path.Combine(temp.Path, "sweep.yaml");

        var (exit, error) = await CompileAsync("--output", path, "--sweep", "training.learning_rate=1e-3,3e-4", "--sweep", "training.img_size=224,300", "--parallelism", "2");

        exit.ShouldBe(0, error);
        (await File.ReadAllTextAsync(path, TestContext.Current.CancellationToken)).ShouldBe(await File.ReadAllTextAsync(GoldenPath, TestContext.Current.CancellationToken));
    }

    [Theory]
    [InlineData("training.learnig_rate=1e-3,3e-4", "'training.learnig_rate': unknown config key (did you mean 'training.learning_rate'?)")]
    [InlineData("optimizer=adam,sgd", "'optimizer': unknown config key")]
    [InlineData("training.learning_rate=1e-3,fast", "training.learning_rate='fast' is not a number")]
    [InlineData("training.img_size=224,300.5", "training.img_size='300.5' is not a whole number")]
    [InlineData("training.learning_rate=", "training.learning_rate has no values")]
    [InlineData("training.learning_rate=1e-3,,3e-4", "training.learning_rate='1e-3,,3e-4' has an empty value")]
    [InlineData("training.learning_rate=1e-3,1e-3", "lists '1e-3' twice")]
    [InlineData("training.learning_rate", "'training.learning_rate' is not key=v1,v2")]
    [InlineData("training.learning_rate=1e-3,20", "training.learning_rate = 20: must be positive")]
    [InlineData("augmentation.scale=0.9,1.1", "augmentation.scale: this setting is a list")]
    public async Task A_bad_sweep_is_exit_2_naming_the_value_and_writes_nothing(string sweep, string message)
    {
        using var temp = new DryWet.Tests.Training.TempFolder();
        var path = Path.Combine(temp.Path, "sweep.yaml");

        var (exit, error) = await CompileAsync("--output", path, "--sweep", sweep);

        exit.ShouldBe(2);
        error.ShouldContain(message);
        File.Exists(path).ShouldBeFalse();
    }

    [Fact]
    public async Task Duplicate_keys_a_bad_parallelism_and_parallelism_without_a_sweep_are_refused()
    {
        using var temp = new DryWet.Tests.Training.TempFolder();
        var path = Path.Combine(temp.Path, "sweep.yaml");

        var (exit, error) = await CompileAsync("--output", path, "--sweep", "training.img_size=224", "--sweep", "training.img_size=300");
        exit.ShouldBe(2);
        error.ShouldContain("--sweep training.img_size is given more than once");

        (exit, error) = await CompileAsync("--output", path, "--sweep", "training.img_size=224,300", "--parallelism", "0");
        exit.ShouldBe(2);
        error.ShouldContain("--parallelism 0 is out of range");

        (exit, error) = await CompileAsync("--output", path, "--parallelism", "2");
        exit.ShouldBe(2);
        error.ShouldContain("--parallelism 2 applies to a sweep");
        File.Exists(path).ShouldBeFalse();
    }

    [Fact]
    public void Combinations_are_the_cartesian_product_first_axis_outermost_and_too_many_are_refused()
    {
        var sweep = TrainingSweep.Parse(["model.dropout=0.2,0.5", "training.batch_size=8,16,32", "model.architecture=efficientnet_b0"], parallelism: null);

        sweep.Combinations.Select(c => string.Join(" ", c)).ShouldBe([
            "model.dropout=0.2 training.batch_size=8 model.architecture=efficientnet_b0",
            "model.dropout=0.2 training.batch_size=16 model.architecture=efficientnet_b0",
            "model.dropout=0.2 training.batch_size=32 model.architecture=efficientnet_b0",
            "model.dropout=0.5 training.batch_size=8 model.architecture=efficientnet_b0",
            "model.dropout=0.5 training.batch_size=16 model.architecture=efficientnet_b0",
            "model.dropout=0.5 training.batch_size=32 model.architecture=efficientnet_b0",
        ]);
        sweep.ItemsJson().ShouldStartWith("""[{"model_dropout": "0.2", "training_batch_size": "8", "model_architecture": "efficientnet_b0"}, """);

        Should.Throw<DryWetException>(() => TrainingSweep.Parse(
            ["training.batch_size=1,2,3,4,5,6,7,8,9", "training.epochs=1,2,3,4,5,6,7,8"], parallelism: null))
            .Message.ShouldContain("72 combinations (9 × 8); at most 64");
    }

    [Fact]
    public async Task Submit_with_a_sweep_sends_the_sweep_pipeline_and_only_its_parameters_to_the_strict_fake_api()
    {
        await using var kfp = await FakeKubeflowApi.StartAsync();
        var root = new RootCommand();
        foreach (var command in TrainerCommands.All())
        {
            root.Subcommands.Add(command);
        }

        var exit = await root.Parse(["pipeline", "submit", "--kubeflow-host", kfp.Host.ToString(),
            "--sweep", "training.learning_rate=1e-3,3e-4", "--sweep", "training.img_size=224,300", "--parallelism", "2"])
            .InvokeAsync(cancellationToken: TestContext.Current.CancellationToken);

        exit.ShouldBe(0);
        var run = kfp.Requests.Single(r => r.PathAndQuery.EndsWith("/runs", StringComparison.Ordinal)).Body!;
        run["pipeline_spec"]!["pipeline_spec"]!["pipelineInfo"]!["name"]!.GetValue<string>().ShouldBe("dry-wet-model-sweep-pipeline");
        run["runtime_config"]!["parameters"]!.AsObject().Select(p => p.Key).ShouldBe(["source_data_bucket", "source_data_object"], ignoreOrder: true);
    }
}

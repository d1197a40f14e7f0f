using System.CommandLine;
using DryWet.Core.Platform;
using DryWet.TrainingWorker.Commands;

namespace DryWet.Tests.Training;

/// <summary>
/// Every command line the launchers build (<see cref="TrainerArguments"/>: AppHost, dashboard commands, Kubeflow
/// pipelines) is one the trainer's own CLI accepts, option for option.
/// </summary>
public sealed class TrainerArgumentsTests
{
    public static TheoryData<string, string[]> CommandLines() => new()
    {
        { "train", TrainerArguments.Train("/config/tiny.yaml", "/work/data", "/work/model") },
        { "train (sweep)", TrainerArguments.Train("config.yaml", "/in/data", "/tmp/candidate", ["--no-register", "--set", "training.learning_rate=0.01", "--result-file", "/out/result"]) },
        { "download", TrainerArguments.Download("/work/data") },
        { "download (bucket, object)", TrainerArguments.Download("/work/data", "ml-data", "dry-wet-data.zip") },
        { "upload", TrainerArguments.Upload("/work/model") },
        { "upload (bucket, name)", TrainerArguments.Upload("/work/model", "ml-models", "dry_wet_model") },
        { "watch (in process)", TrainerArguments.Watch("/config/tiny.yaml", "ml-data", ["--interval", "5s", "--debounce", "2s", "--output", "/work/model"]) },
        { "watch (Kubeflow)", TrainerArguments.Watch("/app/config.yaml", "ml-data", ["--submit-kfp", "--kubeflow-host", "http://ml-pipeline.kubeflow:8888", "--training-image", "dry_wet_train:v1", "--gpus", "1"]) },
        { "sample-data", TrainerArguments.SampleData("/tmp/data.zip", ["--count", "20", "--size", "64", "--label-noise", "0.5", "--eval-folder", "/tmp/eval"]) },
        { "roll back", TrainerArguments.RollBack("Roll back model (dashboard)") },
        { "register-best", TrainerArguments.RegisterBest("config.yaml", "/in/data", "[]", "auto") },
    };

    [Theory]
    [MemberData(nameof(CommandLines))]
    public void The_trainer_parses_it(string name, string[] args)
    {
        var root = new RootCommand();
        foreach (var command in TrainerCommands.All())
        {
            root.Subcommands.Add(command);
        }

        var parsed = root.Parse(args);
        parsed.Errors.Select(e => e.Message).ShouldBeEmpty($"{name}: {string.Join(' ', args)}");
        parsed.CommandResult.Command.Name.ShouldBe(args[0]);
    }

    [Fact]
    public void A_misspelt_option_is_caught_by_the_same_check()
    {
        var root = new RootCommand();
        foreach (var command in TrainerCommands.All())
        {
            root.Subcommands.Add(command);
        }

        root.Parse(["train", "--config", "c.yaml", "--datset", "d", "--output", "o"]).Errors.ShouldNotBeEmpty();
    }
}

using System.CommandLine;
using DryWet.TrainingWorker.Commands;
using DryWet.TrainingWorker.Pipelines;

namespace DryWet.Tests.Pipelines;

/// <summary>
/// Every step of both compiled pipelines runs a trainer command that exists, with flags that command has: a renamed
/// or missing flag fails here, not in a pod an hour into a cluster run.
/// </summary>
public class PipelineCommandContractTests
{
    public static TheoryData<string> Pipelines() => ["training", "sweep"];

    [Theory]
    [MemberData(nameof(Pipelines))]
    public void Each_steps_command_and_flags_exist_in_the_trainer(string which)
    {
        var settings = which == "sweep" ? SweepPipelineSpecTests.SweepSettings() : new TrainingPipelineSettings();
        var commands = TrainerCommands.All().ToDictionary(c => c.Name);
        var executors = KubeflowPipelineCompiler.Compile(settings).PipelineSpec["deploymentSpec"]!["executors"]!.AsObject();
        executors.Count.ShouldBe(3);
        foreach (var (label, executor) in executors)
        {
            var args = executor!["container"]!["args"]!.AsArray().Select(a => a!.GetValue<string>()).ToList();
            commands.ShouldContainKey(args[0], $"{label} runs '{args[0]}'");
            var command = commands[args[0]];
            var flags = command.Options.SelectMany(o => o.Aliases.Append(o.Name)).ToHashSet();
            foreach (var flag in args.Skip(1).Where(a => a.StartsWith("--", StringComparison.Ordinal)))
            {
                flags.ShouldContain(flag, $"{label}: '{args[0]}' has no option {flag}");
            }

            // The same arguments parse without errors (placeholders stand in for paths and values).
            var root = new RootCommand();
            foreach (var c in TrainerCommands.All())
            {
                root.Subcommands.Add(c);
            }

            root.Parse(args).Errors.ShouldBeEmpty($"{label}: {string.Join(" ", args)}");
        }
    }
}

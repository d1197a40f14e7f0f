using System.CommandLine;
using DryWet.TrainingWorker.Commands;

// Each command is also a Kubeflow pipeline step: keep the set coherent (see README "Trainer CLI").
var root = new RootCommand("DryWet training worker: data, training, registration and pipeline commands for the dry/wet road classifier.");
foreach (var command in TrainerCommands.All())
{
    root.Subcommands.Add(command);
}

// Every command maps its errors to exit codes in one place (CommandErrors); anything escaping it is a bug.
return await root.Parse(args).InvokeAsync(new InvocationConfiguration { EnableDefaultExceptionHandler = false });

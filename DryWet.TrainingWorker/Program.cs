using System.CommandLine;
using DryWet.TrainingWorker.Commands;

// Each command is also a Kubeflow pipeline step: keep the set coherent (see README "Trainer CLI").
var root = new RootCommand("DryWet training worker: data, training, registration and pipeline commands for the dry/wet road classifier.");
foreach (var command in TrainerCommands.All())
{
    root.Subcommands.Add(command);
}

// Every command maps its errors to exit codes in one place (CommandErrors); anything escaping it is a bug. Arguments
// the parser refuses (an unknown option, a missing or malformed value) are bad input too: printed with the help, exit 2.
var parsed = root.Parse(args);
var exit = await parsed.InvokeAsync(new InvocationConfiguration { EnableDefaultExceptionHandler = false });
return parsed.Errors.Count > 0 ? CommandErrors.InvalidInput : exit;

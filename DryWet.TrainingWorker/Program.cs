using System.CommandLine;
using DryWet.TrainingWorker.Commands;
using DryWet.TrainingWorker.Platform;

// Each command is also a Kubeflow pipeline step: keep the set coherent (see README "Trainer CLI").
var root = new RootCommand("DryWet training worker: data, training, registration and pipeline commands for the dry/wet road classifier.");
foreach (var command in TrainerCommands.All())
{
    root.Subcommands.Add(command);
}

// Every command maps its errors to exit codes in one place (CommandErrors); anything escaping it is a bug. Arguments
// the parser refuses (an unknown option, a missing or malformed value) are bad input too: printed with the help, exit 2.
// Ctrl+C and SIGTERM cancel the one token every command gets (exit 130 once the command has cleaned up). The command
// line library's own handling is off: it ends the invocation 2 s after a signal, whatever the command is still writing.
using var signals = TerminationSignals.Listen(Console.Error);
var parsed = root.Parse(args);
var exit = await parsed.InvokeAsync(new InvocationConfiguration { EnableDefaultExceptionHandler = false, ProcessTerminationTimeout = null }, signals.Token);
return parsed.Errors.Count > 0 ? CommandErrors.InvalidInput : exit;

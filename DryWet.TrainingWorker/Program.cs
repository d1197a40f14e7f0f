using System.CommandLine;
using DryWet.Core;
using DryWet.TrainingWorker.Commands;

// Each command is also a Kubeflow pipeline step: keep the set coherent (see README "Trainer CLI").
var root = new RootCommand("DryWet training worker: data, training, registration and pipeline commands for the dry/wet road classifier.");
foreach (var command in TrainerCommands.All())
{
    root.Subcommands.Add(command);
}

// A DryWetException is an error the user can act on: print its message (what was wrong and the fix), not a stack trace.
try
{
    return await root.Parse(args).InvokeAsync(new InvocationConfiguration { EnableDefaultExceptionHandler = false });
}
catch (DryWetException ex)
{
    Console.Error.WriteLine(ex.Message);
    return 1;
}
catch (OperationCanceledException)
{
    Console.Error.WriteLine("Cancelled.");
    return 130;
}

using System.CommandLine;
using System.Reflection;
using DryWet.TrainingWorker.Model;

namespace DryWet.TrainingWorker.Commands;

internal static class VersionCommand
{
    public static Command Create()
    {
        var command = new Command("info", "Print the trainer's version and runtime, and check that TorchSharp's native libraries load here.");
        command.SetAction(_ => CommandErrors.Run(() =>
        {
            var version = Assembly.GetExecutingAssembly().GetName().Version;
            Console.WriteLine($"drywet-trainer {version} on .NET {Environment.Version}");
            // Throws DryWetException with the fix (eng/trainer.sh) where libtorch cannot load.
            Console.WriteLine(TorchRuntime.Describe());
            return CommandErrors.Ok;
        }));
        return command;
    }
}

using System.CommandLine;
using System.Reflection;

namespace DryWet.TrainingWorker.Commands;

internal static class VersionCommand
{
    public static Command Create()
    {
        var command = new Command("info", "Print the trainer's version and runtime.");
        command.SetAction(_ =>
        {
            var version = Assembly.GetExecutingAssembly().GetName().Version;
            Console.WriteLine($"drywet-trainer {version} on .NET {Environment.Version}");
            return 0;
        });
        return command;
    }
}

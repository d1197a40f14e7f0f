using System.CommandLine;
using DryWet.Core.Storage;
using DryWet.TrainingWorker.Data;
using DryWet.TrainingWorker.Platform;
using Microsoft.Extensions.DependencyInjection;
using DryWet.Core.Platform;

namespace DryWet.TrainingWorker.Commands;

/// <summary><c>download</c>: the dataset zip from the object store, extracted as class folders (the original's download step).</summary>
internal static class DownloadCommand
{
    public static Command Create()
    {
        var bucket = new Option<string>("--bucket") { Description = "Bucket holding the dataset.", DefaultValueFactory = _ => PlatformNames.DataBucket };
        var objectName = new Option<string>("--object") { Description = "Dataset zip (one folder per class).", DefaultValueFactory = _ => PlatformNames.DatasetObject };
        var output = new Option<DirectoryInfo>("--output") { Description = "Folder to extract into (replaced atomically).", Required = true };
        var command = new Command("download", "Download the dataset zip from the object store (MinIO, or the embedded store under DryWet:Home) and extract it as class folders.");
        command.Options.Add(bucket);
        command.Options.Add(objectName);
        command.Options.Add(output);
        command.SetAction((parseResult, ct) => CommandErrors.RunAsync(async () =>
        {
            using var host = await TrainerHost.StartAsync(ct);
            var result = await DatasetDownloader.DownloadAsync(host.Services.GetRequiredService<IObjectStore>(),
                parseResult.GetValue(bucket)!, parseResult.GetValue(objectName)!, parseResult.GetValue(output)!.FullName,
                Console.Error.WriteLine, ct);
            Console.WriteLine($"Extracted {result.ZipBytes:N0} bytes into {result.Directory} (classes: {string.Join(", ", result.Classes)}).");
            return CommandErrors.Ok;
        }));
        return command;
    }
}

using System.CommandLine;
using DryWet.Core.Storage;
using DryWet.TrainingWorker.Data;
using DryWet.TrainingWorker.Platform;
using Microsoft.Extensions.DependencyInjection;
using DryWet.Core.Platform;

namespace DryWet.TrainingWorker.Commands;

/// <summary><c>upload</c>: a model package to ml-models/&lt;name&gt;-&lt;date&gt;-&lt;run id&gt;/ (the original's upload step, without same-day overwrites).</summary>
internal static class UploadCommand
{
    public static Command Create()
    {
        var model = new Option<DirectoryInfo>("--model") { Description = "Model package folder (MLmodel, model.onnx, ...), as written by train.", Required = true };
        var bucket = new Option<string>("--bucket") { Description = "Bucket for models (created when missing).", DefaultValueFactory = _ => PlatformNames.ModelsBucket };
        var name = new Option<string>("--name") { Description = "Folder name prefix.", DefaultValueFactory = _ => "dry-wet-road-classifier" };
        var runId = new Option<string?>("--run-id") { Description = "Run id for the folder name; default: the package's MLmodel run_id." };
        var command = new Command("upload", "Upload a model package to the object store under <name>-<yyyy-MM-dd>-<run id>/.");
        command.Options.Add(model);
        command.Options.Add(bucket);
        command.Options.Add(name);
        command.Options.Add(runId);
        command.SetAction((parseResult, ct) => CommandErrors.RunAsync(async () =>
        {
            using var host = await TrainerHost.StartAsync(ct);
            var result = await ModelUploader.UploadAsync(host.Services.GetRequiredService<IObjectStore>(), parseResult.GetValue(model)!.FullName,
                parseResult.GetValue(bucket)!, parseResult.GetValue(name)!, parseResult.GetValue(runId), DateTimeOffset.UtcNow,
                Console.Error.WriteLine, ct);
            Console.WriteLine($"Uploaded {result.Files} files ({result.Bytes:N0} bytes) to {result.Bucket}/{result.Prefix}/");
            return CommandErrors.Ok;
        }));
        return command;
    }
}

using System.CommandLine;
using DryWet.Core.Storage;
using DryWet.TrainingWorker.Data;
using DryWet.TrainingWorker.Platform;
using Microsoft.Extensions.DependencyInjection;
using DryWet.Core.Platform;

namespace DryWet.TrainingWorker.Commands;

/// <summary>
/// <c>download</c>: the dataset zip from the object store, extracted as class folders (the original's download step);
/// or, given a dataset manifest (<c>--object .datasets/&lt;version&gt;.json</c>, what the watcher's pipeline passes),
/// exactly that snapshot's objects, laid out like the data prefix (every object checked against its SHA-256).
/// </summary>
internal static class DownloadCommand
{
    public static Command Create()
    {
        var bucket = new Option<string>("--bucket") { Description = "Bucket holding the dataset.", DefaultValueFactory = _ => PlatformNames.DataBucket };
        var objectName = new Option<string>("--object") { Description = "Dataset zip (one folder per class), or a dataset manifest [prefix/].datasets/<version>.json: that snapshot, laid out like the data prefix for train --data.", DefaultValueFactory = _ => PlatformNames.DatasetObject };
        var output = new Option<DirectoryInfo>("--output") { Description = "Folder to extract into (replaced atomically). A folder there must be empty or an earlier download (it holds .drywet-download); anything else is refused unless --force.", Required = true };
        var force = new Option<bool>("--force") { Description = "Replace the --output folder even when a download did not write it (everything in it is deleted)." };
        var command = new Command("download", "Download the dataset zip from the object store (MinIO, or the embedded store under DryWet:Home) and extract it as class folders.");
        command.Options.Add(bucket);
        command.Options.Add(objectName);
        command.Options.Add(output);
        command.Options.Add(force);
        command.SetAction((parseResult, ct) => CommandErrors.RunAsync(async () =>
        {
            // Now, not after the download: a folder that is not ours to replace.
            DatasetDownloader.EnsureReplaceable(parseResult.GetValue(output)!.FullName, parseResult.GetValue(force));
            using var host = await TrainerHost.StartAsync(ct);
            var store = host.Services.GetRequiredService<IObjectStore>();
            if (DatasetLayout.ParseManifestKey(parseResult.GetValue(objectName)!) is { } snapshot)
            {
                await DownloadSnapshotAsync(store, parseResult.GetValue(bucket)!, snapshot.Prefix, snapshot.Version, parseResult.GetValue(output)!.FullName, ct);
                return CommandErrors.Ok;
            }

            var result = await DatasetDownloader.DownloadAsync(store,
                parseResult.GetValue(bucket)!, parseResult.GetValue(objectName)!, parseResult.GetValue(output)!.FullName,
                Console.Error.WriteLine, ct, force: parseResult.GetValue(force));
            Console.WriteLine($"Extracted {result.ZipBytes:N0} bytes into {result.Directory} (classes: {string.Join(", ", result.Classes)}).");
            return CommandErrors.Ok;
        }));
        return command;
    }

    private static async Task DownloadSnapshotAsync(IObjectStore store, string bucket, string prefix, string version, string output, CancellationToken ct)
    {
        var source = new ObjectStoreDatasetSource(store, bucket, prefix, onlyKey: null);
        var manifest = await source.LoadManifestAsync(version, ct)
            ?? throw new DryWet.Core.DryWetException($"Dataset version {version} is not stored at {source.ManifestUri(version)}.");
        var work = Path.Combine(Path.GetDirectoryName(Path.GetFullPath(output))!, $".download-{Guid.NewGuid():N}");
        try
        {
            var snapshot = await new DatasetSnapshotBuilder(source).FetchExactlyAsync(manifest, Path.Combine(work, "fetch"), Path.Combine(work, "objects"), ct);
            await DatasetLayout.WriteAsync(snapshot, output);
            Console.WriteLine($"Dataset version {version}: {manifest.Objects.Count} objects ({manifest.Bytes:N0} bytes) checked and written to {output}.");
        }
        finally
        {
            if (Directory.Exists(work))
            {
                Directory.Delete(work, recursive: true);
            }
        }
    }
}

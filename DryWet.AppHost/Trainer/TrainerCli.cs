using System.Diagnostics;
using DryWet.AppHost.Minio;
using DryWet.AppHost.Mlflow;
using DryWet.AppHost.Platform;
using DryWet.AppHost.Serving;
using DryWet.Core.Platform;
using Microsoft.Extensions.Logging;

namespace DryWet.AppHost.Trainer;

/// <summary>
/// Runs one trainer CLI command (<c>sample-data</c>, <c>promote</c>) for a dashboard command, under the
/// TorchSharp-capable host, connected to the same platform as the services; its output goes to the command's log.
/// </summary>
internal static class TrainerCli
{
    public static async Task RunAsync(LocalTrainer host, DryWetPlatform platform, IReadOnlyList<string> args, ILogger logger, CancellationToken ct)
    {
        host.EnsureBuilt();
        var dotnet = await host.ResolveAsync().ConfigureAwait(false);
        var start = new ProcessStartInfo(dotnet, ["exec", host.AssemblyPath, .. args])
        {
            WorkingDirectory = host.ProjectDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        start.Environment["DryWet__Home"] = platform.Home;
        foreach (var (name, resource) in new (string, IResourceWithConnectionString?)[] { (PlatformNames.Minio, platform.Minio?.Resource), (PlatformNames.Mlflow, platform.Mlflow?.Resource) })
        {
            if (resource is not null)
            {
                start.Environment[$"ConnectionStrings__{name}"] = await resource.ConnectionStringExpression.GetValueAsync(ct).ConfigureAwait(false)
                    ?? throw new InvalidOperationException($"{name} is not running yet: start it, then run the command again.");
            }
        }

        using var process = Process.Start(start) ?? throw new InvalidOperationException($"Could not start {dotnet}.");
        process.OutputDataReceived += (_, e) => { if (e.Data is { } line) logger.LogInformation("{Line}", line); };
        process.ErrorDataReceived += (_, e) => { if (e.Data is { } line) logger.LogWarning("{Line}", line); };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        try
        {
            await process.WaitForExitAsync(ct).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw;
        }

        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"'trainer {string.Join(' ', args)}' exited with code {process.ExitCode}; see the command's log.");
        }
    }
}

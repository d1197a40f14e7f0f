using System.Diagnostics;
using DryWet.AppHost.Minio;
using DryWet.AppHost.Mlflow;
using DryWet.AppHost.Serving;
using DryWet.AppHost.Trainer;

namespace DryWet.AppHost.Platform;

/// <summary>
/// Finds a usable container engine: the CLI named by <c>ASPIRE_CONTAINER_RUNTIME</c>, else docker, else podman,
/// on PATH and answering <c>info</c> within a few seconds (a CLI without a running engine does not count).
/// </summary>
public class ContainerRuntimeProbe
{
    private static readonly TimeSpan InfoTimeout = TimeSpan.FromSeconds(5);

    /// <summary>The runtime CLI name ("docker" or "podman") of a responsive engine, or null with the reason.</summary>
    public virtual (string? Runtime, string Reason) Probe()
    {
        var preferred = Environment.GetEnvironmentVariable("ASPIRE_CONTAINER_RUNTIME");
        string[] candidates = string.IsNullOrWhiteSpace(preferred) ? ["docker", "podman"] : [preferred.Trim().ToLowerInvariant()];
        var notes = new List<string>();
        foreach (var cli in candidates)
        {
            var path = FindOnPath(cli);
            if (path is null)
            {
                notes.Add($"{cli} is not on PATH");
                continue;
            }

            if (Answers(path))
            {
                return (cli, $"{cli} ({path}) answers 'info'");
            }

            notes.Add($"{cli} is on PATH but no engine answered '{cli} info' (within {InfoTimeout.TotalSeconds:0} s)");
        }

        return (null, string.Join("; ", notes));
    }

    private static string? FindOnPath(string executable)
    {
        var path = Environment.GetEnvironmentVariable("PATH") ?? "";
        return path.Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .Select(dir => Path.Combine(dir, executable))
            .FirstOrDefault(File.Exists);
    }

    private static bool Answers(string cliPath)
    {
        try
        {
            using var process = Process.Start(new ProcessStartInfo(cliPath, ["info", "--format", "{{.ServerVersion}}"])
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
            });
            if (process is null)
            {
                return false;
            }

            if (!process.WaitForExit(InfoTimeout))
            {
                process.Kill(entireProcessTree: true);
                return false;
            }

            return process.ExitCode == 0;
        }
        catch (Exception ex) when (ex is System.ComponentModel.Win32Exception or InvalidOperationException)
        {
            return false;
        }
    }
}

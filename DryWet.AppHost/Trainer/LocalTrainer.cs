using System.Diagnostics;
using System.Reflection;
using DryWet.AppHost.Minio;
using DryWet.AppHost.Mlflow;
using DryWet.AppHost.Platform;
using DryWet.AppHost.Serving;

namespace DryWet.AppHost.Trainer;

/// <summary>
/// How the trainer is launched locally. TorchSharp 0.107 does not load under Debian 12's libstdc++, so the trainer
/// runs as <c>&lt;host&gt; exec DryWet.TrainingWorker.dll</c> where the host is what <c>eng/torchsharp-compat.sh</c>
/// prints: a patched dotnet on old distros (built once, cached), the plain dotnet elsewhere.
/// </summary>
public sealed class LocalTrainer(string repositoryRoot, string trainerProjectDirectory)
{
    private readonly Lazy<Task<string>> _host = new(() => RunCompatScriptAsync(repositoryRoot));

    public string RepositoryRoot { get; } = repositoryRoot;

    /// <summary>The trainer of this repository (the AppHost's sibling project).</summary>
    public static LocalTrainer For(IDistributedApplicationBuilder builder) => new(
        Path.GetFullPath(Path.Combine(builder.AppHostDirectory, "..")),
        Path.GetDirectoryName(new Projects.DryWet_TrainingWorker().ProjectPath)!);

    public string ProjectDirectory { get; } = trainerProjectDirectory;

    /// <summary>The trainer assembly the AppHost build produced (same configuration as the AppHost).</summary>
    public string AssemblyPath => Path.Combine(ProjectDirectory, "bin", BuildConfiguration, "net10.0", "linux-x64", "DryWet.TrainingWorker.dll");

    public string CompatScript => Path.Combine(RepositoryRoot, "eng", "torchsharp-compat.sh");

    private static string BuildConfiguration =>
        typeof(LocalTrainer).Assembly.GetCustomAttribute<AssemblyConfigurationAttribute>()?.Configuration ?? "Debug";

    /// <summary>The dotnet host able to load TorchSharp here (runs the compat script once per AppHost process).</summary>
    public Task<string> ResolveAsync() => _host.Value;

    /// <summary>Fails with the fix when the trainer was not built.</summary>
    public void EnsureBuilt()
    {
        if (!File.Exists(AssemblyPath))
        {
            throw new InvalidOperationException(
                $"The trainer assembly '{AssemblyPath}' does not exist. Build it with " +
                $"'dotnet build DryWet.AppHost -c {BuildConfiguration}' (dotnet run --project DryWet.AppHost does this).");
        }
    }

    private static async Task<string> RunCompatScriptAsync(string repositoryRoot)
    {
        var script = Path.Combine(repositoryRoot, "eng", "torchsharp-compat.sh");
        if (!File.Exists(script))
        {
            throw new InvalidOperationException($"'{script}' is missing: it provides the dotnet host that can load TorchSharp.");
        }

        using var process = Process.Start(new ProcessStartInfo("bash", [script])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = repositoryRoot,
        }) ?? throw new InvalidOperationException($"Could not start '{script}'.");

        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync().ConfigureAwait(false);
        var host = (await stdout.ConfigureAwait(false)).Trim().Split('\n').LastOrDefault()?.Trim();
        if (process.ExitCode != 0 || string.IsNullOrEmpty(host) || !File.Exists(host))
        {
            throw new InvalidOperationException(
                $"'{script}' failed (exit code {process.ExitCode}) to provide a dotnet host for the trainer: " +
                $"{(await stderr.ConfigureAwait(false)).Trim()} Run it by hand to see the full output.");
        }

        return host;
    }
}

using System.Diagnostics;

namespace DryWet.Tests.Storage;

/// <summary>Runs the real trainer CLI (DryWet.TrainingWorker.dll next to the tests) as a child process with given env.</summary>
internal static class TrainerProcess
{
    public static async Task<(int ExitCode, string StdOut, string StdErr)> RunAsync(IReadOnlyDictionary<string, string> environment,
        CancellationToken cancellationToken, params string[] args)
    {
        using var process = Process.Start(StartInfo(environment, args))!;
        var stdout = process.StandardOutput.ReadToEndAsync(cancellationToken);
        var stderr = process.StandardError.ReadToEndAsync(cancellationToken);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        // A hang guard, not a speed check: a training step under a fully parallel suite (every core busy with other
        // classes) ran past 5 min when the suite ran 6 classes at once on 2 cores.
        timeout.CancelAfter(TimeSpan.FromMinutes(10));
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw;
        }

        return (process.ExitCode, await stdout, await stderr);
    }

    /// <summary>The trainer CLI with <paramref name="args"/> under this test host, stdout and stderr redirected.</summary>
    /// <param name="launcher">Runs first, the trainer's command line as its arguments (e.g. <c>env --default-signal=INT</c>).</param>
    public static ProcessStartInfo StartInfo(IReadOnlyDictionary<string, string> environment, IReadOnlyList<string> args, params string[] launcher)
    {
        var command = launcher.Concat([Environment.ProcessPath ?? "dotnet", Path.Combine(AppContext.BaseDirectory, "DryWet.TrainingWorker.dll")])
            .Concat(args).ToList();
        var start = new ProcessStartInfo(command[0]) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var arg in command.Skip(1))
        {
            start.ArgumentList.Add(arg);
        }

        // Nothing from the developer's shell decides which adapters the child gets.
        start.Environment.Remove("ConnectionStrings__minio");
        start.Environment.Remove("ConnectionStrings__mlflow");
        foreach (var (key, value) in environment)
        {
            start.Environment[key] = value;
        }

        return start;
    }
}

using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;

namespace DryWet.Benchmarks;

/// <summary>Runs the PyTorch peer's training benchmarks (<c>seed_train_bench.py</c>, <c>step_phases.py</c>) and reads their result lines.</summary>
internal static partial class PyTorchPeer
{
    public static double TrainImagesPerSecond(string command, int imageSize, int batch, int steps, int threads)
    {
        var output = Run(command, string.Create(CultureInfo.InvariantCulture,
            $"--img-size {imageSize} --batch {batch} --steps {steps} --warmup 1 --threads {threads} --workers 1"));
        var result = output.Split('\n').LastOrDefault(l => l.StartsWith("RESULT train:", StringComparison.Ordinal));
        return ImagesPerSecondIn(command, result, TrainRate());
    }

    /// <summary>Runs <c>DryWet.Benchmarks/peer/step_phases.py</c> and reads its one line (printed as it is).</summary>
    public static double StepPhasesImagesPerSecond(string command, int imageSize, string layout, int batch, int steps, int threads)
    {
        var output = Run(command, string.Create(CultureInfo.InvariantCulture,
            $"--size {imageSize} --layout {layout} --batch {batch} --steps {steps} --threads {threads}"));
        var result = output.Split('\n').LastOrDefault(l => l.StartsWith("PyTorch ", StringComparison.Ordinal));
        return ImagesPerSecondIn(command, result, PhasesRate());
    }

    private static string Run(string command, string arguments)
    {
        var start = new ProcessStartInfo("/bin/sh")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        start.ArgumentList.Add("-c");
        start.ArgumentList.Add(command + " " + arguments);
        using var process = Process.Start(start) ?? throw new InvalidOperationException($"Could not start the peer: {command}");
        var error = process.StandardError.ReadToEndAsync();
        var output = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"The peer '{command}' exited {process.ExitCode}: {error.Result.Trim()}");
        }

        return output;
    }

    private static double ImagesPerSecondIn(string command, string? result, Regex rate)
    {
        var match = result is null ? null : rate.Match(result);
        if (match is not { Success: true })
        {
            throw new InvalidOperationException($"The peer '{command}' printed no result line with an img/s figure.");
        }

        Console.WriteLine("  peer: " + result);
        return double.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture);
    }

    [GeneratedRegex(@"-> ([0-9.]+) img/s")]
    private static partial Regex TrainRate();

    [GeneratedRegex(@"; ([0-9.]+) img/s$")]
    private static partial Regex PhasesRate();
}

using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;

namespace DryWet.Benchmarks;

/// <summary>Runs the PyTorch peer's training benchmark (<c>seed_train_bench.py</c>) and reads its <c>RESULT train:</c> line.</summary>
internal static partial class PyTorchPeer
{
    public static double TrainImagesPerSecond(string command, int imageSize, int batch, int steps, int threads)
    {
        var start = new ProcessStartInfo("/bin/sh")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        start.ArgumentList.Add("-c");
        start.ArgumentList.Add(string.Create(CultureInfo.InvariantCulture,
            $"{command} --img-size {imageSize} --batch {batch} --steps {steps} --warmup 1 --threads {threads} --workers 1"));
        using var process = Process.Start(start) ?? throw new InvalidOperationException($"Could not start the peer: {command}");
        var error = process.StandardError.ReadToEndAsync();
        var output = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        var result = output.Split('\n').LastOrDefault(l => l.StartsWith("RESULT train:", StringComparison.Ordinal));
        var match = result is null ? null : ImagesPerSecond().Match(result);
        if (process.ExitCode != 0 || match is not { Success: true })
        {
            throw new InvalidOperationException($"The peer '{command}' exited {process.ExitCode} without a RESULT train line: {error.Result.Trim()}");
        }

        Console.WriteLine("  peer: " + result);
        return double.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture);
    }

    [GeneratedRegex(@"-> ([0-9.]+) img/s")]
    private static partial Regex ImagesPerSecond();
}

using System.Diagnostics;
using DryWet.TrainingWorker.Model;

namespace DryWet.Tests.Model;

/// <summary>eng/torchsharp-compat.sh and the trainer's behaviour with and without the host it prints.</summary>
[Collection(nameof(TorchSharp))]
public class TorchRuntimeTests
{
    private static readonly string TrainerDll = Path.Combine(AppContext.BaseDirectory, "DryWet.TrainingWorker.dll");

    private static string RepoRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "DryWet.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException($"No DryWet.sln above {AppContext.BaseDirectory}.");
    }

    private static (int ExitCode, string Stdout, string Stderr) Run(string fileName, params string[] arguments)
    {
        var start = new ProcessStartInfo(fileName)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(TimeSpan.FromMinutes(2)))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{fileName} {string.Join(' ', arguments)} did not finish in 2 minutes.");
        }

        return (process.ExitCode, stdout.Result, stderr.Result);
    }

    /// <summary>The system's plain dotnet muxer (what a user runs without the compat script).</summary>
    private static string PlainDotnet() =>
        Environment.GetEnvironmentVariable("PATH")!.Split(':')
            .Select(dir => Path.Combine(dir, "dotnet"))
            .First(File.Exists);

    [Fact]
    public void EnsureLoaded_succeeds_under_the_host_the_tests_run_on_and_is_idempotent()
    {
        TorchRuntime.EnsureLoaded();
        TorchRuntime.EnsureLoaded();
        TorchRuntime.LoadedLibstdcxxLacksRequiredVersion().ShouldBeNull();
        TorchRuntime.Describe().ShouldStartWith("TorchSharp 0.107.0, libtorch CPU");
    }

    [Fact]
    public void Compat_script_prints_only_the_path_of_a_dotnet_host_and_is_idempotent()
    {
        var script = Path.Combine(RepoRoot(), "eng", "torchsharp-compat.sh");
        var first = Run(script);
        var second = Run(script);

        first.ExitCode.ShouldBe(0, first.Stderr);
        var lines = first.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        lines.Length.ShouldBe(1, first.Stdout);
        File.Exists(lines[0]).ShouldBeTrue(lines[0]);
        second.Stdout.ShouldBe(first.Stdout);
        Run(lines[0], "--list-runtimes").Stdout.ShouldContain("Microsoft.NETCore.App 10.");
    }

    [Fact]
    public void Compat_script_prints_the_system_dotnet_where_libstdcxx_already_has_the_version()
    {
        // GLIBCXX_3.4.21 is in every libstdc++ since GCC 5: stands in for a system that is new enough.
        var start = new ProcessStartInfo(Path.Combine(RepoRoot(), "eng", "torchsharp-compat.sh"))
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            Environment = { ["TORCHSHARP_COMPAT_GLIBCXX"] = "GLIBCXX_3.4.21" },
        };
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEnd();
        process.WaitForExit();

        process.ExitCode.ShouldBe(0);
        stdout.Trim().ShouldBe(PlainDotnet());
    }

    [Fact]
    public void Trainer_info_under_the_compat_host_loads_TorchSharp()
    {
        var host = Run(Path.Combine(RepoRoot(), "eng", "torchsharp-compat.sh")).Stdout.Trim();
        var (exitCode, stdout, stderr) = Run(host, TrainerDll, "info");
        exitCode.ShouldBe(0, stderr);
        stdout.ShouldContain("TorchSharp 0.107.0, libtorch CPU");
    }

    [Fact]
    public void Trainer_without_the_compat_host_prints_one_sentence_with_the_fix_where_libstdcxx_is_too_old()
    {
        var (exitCode, stdout, stderr) = Run(PlainDotnet(), TrainerDll, "info");
        if (SystemLibstdcxxIsTooOld())
        {
            exitCode.ShouldBe(1);
            stderr.Trim().Split('\n').Length.ShouldBe(1, stderr);
            stderr.ShouldContain("lacks GLIBCXX_3.4.32");
            stderr.ShouldContain("./eng/trainer.sh");
            stderr.ShouldNotContain("   at ");
            stdout.ShouldNotContain("LoadNativeBackend"); // TorchSharp's own trace stays out of the console
        }
        else
        {
            // Debian 13, Ubuntu 24.04, the .NET 10 images: the compat script is a no-op and the plain host works.
            exitCode.ShouldBe(0, stderr);
            stdout.ShouldContain("TorchSharp 0.107.0");
        }
    }

    /// <summary>The libstdc++ the plain host loads (this process may run on the compat host's own copy).</summary>
    private static bool SystemLibstdcxxIsTooOld()
    {
        var library = new[] { "/usr/lib/x86_64-linux-gnu/libstdc++.so.6", "/lib/x86_64-linux-gnu/libstdc++.so.6", "/usr/lib64/libstdc++.so.6" }
            .First(File.Exists);
        var needle = System.Text.Encoding.ASCII.GetBytes(TorchRuntime.RequiredGlibcxx + "\0");
        return File.ReadAllBytes(library).AsSpan().IndexOf(needle) < 0;
    }
}

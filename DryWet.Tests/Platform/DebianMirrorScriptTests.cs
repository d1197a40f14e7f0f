using System.Diagnostics;
using DryWet.Tests.AppHost;
using DryWet.Tests.Training;

namespace DryWet.Tests.Platform;

/// <summary>
/// eng/debian-mirror.sh: the trixie source of the TorchSharp compat host uses whatever mirror the machine's apt is
/// configured with (deb822 .sources first, then the one-line sources.list), never a host written in the repository.
/// </summary>
public sealed class DebianMirrorScriptTests
{
    private static (int ExitCode, string Stdout, string Stderr) Run(string list, string parts, string? mirror = null)
    {
        var start = new ProcessStartInfo(Path.Combine(RepositoryPaths.Root, "eng", "debian-mirror.sh"))
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        start.Environment["APT_SOURCES_LIST"] = list;
        start.Environment["APT_SOURCES_PARTS"] = parts;
        start.Environment.Remove("TORCHSHARP_COMPAT_MIRROR");
        if (mirror is not null)
        {
            start.Environment["TORCHSHARP_COMPAT_MIRROR"] = mirror;
        }

        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEnd();
        var stderr = process.StandardError.ReadToEnd();
        process.WaitForExit();
        return (process.ExitCode, stdout.Trim(), stderr);
    }

    [Fact]
    public void Deb822_sources_give_the_main_archive_not_the_security_one()
    {
        using var temp = new TempFolder();
        var parts = Directory.CreateDirectory(Path.Combine(temp.Path, "sources.list.d")).FullName;
        File.WriteAllText(Path.Combine(parts, "debian.sources"), """
            Types: deb
            URIs: http://security.mirror.example/debian-security
            Suites: bookworm-security
            Components: main

            # the archive
            Types: deb deb-src
            URIs: http://mirror.example/debian/ http://second.example/debian
            Suites: bookworm bookworm-updates
            Components: main
            """);

        var (exit, stdout, stderr) = Run(Path.Combine(temp.Path, "none.list"), parts);

        exit.ShouldBe(0, stderr);
        stdout.ShouldBe("http://mirror.example/debian");
    }

    [Fact]
    public void A_one_line_sources_list_works_with_options_and_an_override_wins()
    {
        using var temp = new TempFolder();
        var list = Path.Combine(temp.Path, "sources.list");
        File.WriteAllText(list, """
            # comment
            deb [signed-by=/usr/share/keyrings/debian.gpg] http://security.example/debian-security bookworm-security main
            deb [arch=amd64 signed-by=/k.gpg] http://apt.example/debian bookworm main contrib
            """);

        Run(list, Path.Combine(temp.Path, "no-parts")).Stdout.ShouldBe("http://apt.example/debian");
        Run(list, Path.Combine(temp.Path, "no-parts"), mirror: "http://override.example/debian/").Stdout.ShouldBe("http://override.example/debian");
    }

    [Fact]
    public void No_configured_archive_is_a_one_line_error_with_the_fix()
    {
        using var temp = new TempFolder();
        var (exit, stdout, stderr) = Run(Path.Combine(temp.Path, "none.list"), Path.Combine(temp.Path, "no-parts"));

        exit.ShouldBe(1);
        stdout.ShouldBeEmpty();
        stderr.ShouldContain("no Debian archive found");
        stderr.ShouldContain("TORCHSHARP_COMPAT_MIRROR");
    }

    [Fact]
    public void No_script_names_a_debian_package_host_and_the_ones_that_fetch_debs_ask_the_mirror_script()
    {
        var scripts = new[] { "eng", "platform" }
            .SelectMany(d => Directory.EnumerateFiles(Path.Combine(RepositoryPaths.Root, d), "*.sh", SearchOption.AllDirectories))
            .Where(f => !f.Contains("node_modules", StringComparison.Ordinal))
            .ToList();
        scripts.ShouldNotBeEmpty();
        scripts.Where(f => File.ReadAllText(f).Contains("deb.debian.org", StringComparison.Ordinal)).ShouldBeEmpty();
        File.ReadAllText(Path.Combine(RepositoryPaths.Root, "eng", "torchsharp-compat.sh")).ShouldContain("eng/debian-mirror.sh");
        File.ReadAllText(Path.Combine(RepositoryPaths.Root, "platform", "ci", "check-images.sh")).ShouldContain("eng/debian-mirror.sh");
    }
}

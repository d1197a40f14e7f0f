using System.Diagnostics;
using System.Text.Json;
using DryWet.Benchmarks.Abuse;
using DryWet.Tests.AppHost;
using DryWet.Tests.Platform;
using DryWet.Tests.Storage;

namespace DryWet.Tests.Benchmarks;

/// <summary>
/// <c>DryWet.Benchmarks abuse</c> as a user runs it, in its shortest form (1 s per scenario, 4 clients), against the
/// real serving and web it starts. What is checked is the benchmark's mechanics, not the limits (today's serving and
/// web break several): the report is written and matches the exit code and the printed table, every scenario of the
/// table is there with counts that add up, the probes and memory samples ran, and answers a request cannot have
/// earned are not reported (no 2xx for an OIP tensor without data).
/// </summary>
public sealed class AbuseCommandTests
{
    private static readonly string[] TableScenarios = ["bmp-bomb", "png-bomb", "oip-empty", "valid-jpeg", "reloads", "thumbnails"];

    [Fact]
    public async Task A_short_run_writes_a_report_whose_counts_add_up_and_whose_verdict_is_the_exit_code()
    {
        var folder = TestFolders.NewTempDirectory("drywet-abuse-test");
        try
        {
            var reportPath = Path.Combine(folder, "report.json");
            var (exitCode, output) = await RunAsync("abuse", "--seconds", "1", "--clients", "4", "--reloads", "3", "--report", reportPath);

            exitCode.ShouldBeOneOf([0, 1], output);
            File.Exists(reportPath).ShouldBeTrue(output);
            var report = JsonSerializer.Deserialize<AbuseReport>(await File.ReadAllTextAsync(reportPath, TestContext.Current.CancellationToken), AbuseReportJson.Options)!;
            report.Mode.ShouldBe("table");
            report.ExitCode.ShouldBe(exitCode);
            report.Violations.Count.ShouldBe(report.Scenarios.Sum(s => s.Violations.Count));
            (report.Violations.Count == 0).ShouldBe(exitCode == 0, string.Join("\n", report.Violations));
            report.Scenarios.Select(s => s.Name).ShouldBe(TableScenarios);
            foreach (var s in report.Scenarios)
            {
                s.Clients.ShouldBe(4, s.Name);
                ShouldAddUp(s.Requests, s.Name);
                s.Requests.Total.ShouldBeGreaterThan(0, s.Name);
                s.ServingAlive.Latency.Count.ShouldBeGreaterThan(0, s.Name);
                s.WebAlive.Latency.Count.ShouldBeGreaterThan(0, s.Name);
                s.ServingMemory.PeakMb.ShouldBeGreaterThanOrEqualTo(Math.Max(s.ServingMemory.StartMb, s.ServingMemory.EndMb), s.Name);
                s.WebMemory.PeakMb.ShouldBeGreaterThanOrEqualTo(Math.Max(s.WebMemory.StartMb, s.WebMemory.EndMb), s.Name);
                s.ServingMemory.StartMb.ShouldBeGreaterThan(0, s.Name);
                s.WebMemory.StartMb.ShouldBeGreaterThan(0, s.Name);
                // A scenario whose requests failed in a disallowed way says so among its violations, and only then.
                var failed = s.Requests.Status503WithoutRetryAfter + s.Requests.Status5xxOther + s.Requests.ConnectionErrors + s.Requests.Timeouts
                    + (s.Name == "thumbnails" ? 0 : s.Requests.Status3xx);
                s.Violations.Any(v => v.StartsWith($"{s.Name}: requests:", StringComparison.Ordinal)).ShouldBe(failed > 0, s.Name);
                output.ShouldContain($"| {s.Name} | 4 | {s.Requests.Total}: ");
            }

            var byName = report.Scenarios.ToDictionary(s => s.Name);
            byName["oip-empty"].Requests.Status2xx.ShouldBe(0, "an OIP tensor without data can never be answered 2xx");
            byName["thumbnails"].Requests.Total.ShouldBe(4, "each of the 4 clients asks for one logged bomb, once");
            byName["reloads"].Reloads.ShouldNotBeNull();
            byName["reloads"].Reloads!.Total.ShouldBe(3);
            ShouldAddUp(byName["reloads"].Reloads!, "reloads");
            byName["thumbnails"].Violations.Any(v => v.Contains("without a sign-in cookie", StringComparison.Ordinal))
                .ShouldBe(byName["thumbnails"].Requests.Status2xx > 0);
            report.ServingPeakRssMb.ShouldBe(report.Scenarios.Max(s => s.ServingMemory.PeakMb));
            output.ShouldContain($"Report: {reportPath}");
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [Fact]
    public async Task A_bad_option_is_exit_2_naming_it_and_nothing_starts()
    {
        var (exitCode, output) = await RunAsync("abuse", "--soak", "thirty");

        exitCode.ShouldBe(2);
        output.ShouldContain("--soak expects a positive duration with a unit, e.g. 90s, 30m or 2h; got 'thirty'.");
        output.ShouldNotContain("serving http://");
    }

    private static void ShouldAddUp(StatusMixReport mix, string scenario) =>
        (mix.Status2xx + mix.Status3xx + mix.Status4xx + mix.Status429 + mix.Status503WithRetryAfter + mix.Status503WithoutRetryAfter
            + mix.Status5xxOther + mix.ConnectionErrors + mix.Timeouts).ShouldBe(mix.Total, scenario);

    /// <summary>The benchmark from its own build folder, as the docs tell a user to run it; at most 8 minutes.</summary>
    private static async Task<(int ExitCode, string Output)> RunAsync(params string[] arguments)
    {
        var configuration = AppContext.BaseDirectory.Contains($"{Path.DirectorySeparatorChar}Debug{Path.DirectorySeparatorChar}", StringComparison.Ordinal) ? "Debug" : "Release";
        var dll = Path.Combine(RepositoryPaths.Root, "DryWet.Benchmarks", "bin", configuration, "net10.0", "linux-x64", "DryWet.Benchmarks.dll");
        File.Exists(dll).ShouldBeTrue($"{dll} is missing: build the solution first (./test.sh does).");
        var start = new ProcessStartInfo(Environment.ProcessPath ?? "dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add(dll);
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(8));
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"abuse did not finish within 8 minutes:\n{await stdout}\n{await stderr}");
        }

        return (process.ExitCode, await stdout + await stderr);
    }
}

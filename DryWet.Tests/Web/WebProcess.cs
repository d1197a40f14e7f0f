using System.Diagnostics;
using System.Text;
using System.Text.RegularExpressions;
using DryWet.Tests.AppHost;
using DryWet.Tests.Platform;

namespace DryWet.Tests.Web;

/// <summary>
/// The real DryWet.Web app as a child process (its own bin folder and content root, as `dotnet run` starts it) on a
/// free loopback port, configured by environment variables only.
/// </summary>
public sealed partial class WebProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _output = new();

    private WebProcess(Process process) => _process = process;

    /// <summary>The app's base address, ending with '/'.</summary>
    public Uri Address { get; private set; } = new("http://127.0.0.1/");

    public string Output
    {
        get
        {
            lock (_output)
            {
                return _output.ToString();
            }
        }
    }

    [GeneratedRegex(@"Now listening on: (?<url>https?://127\.0\.0\.1:\d+)")]
    private static partial Regex Listening();

    public static async Task<WebProcess> StartAsync(IReadOnlyDictionary<string, string> environment)
    {
        var configuration = AppContext.BaseDirectory.Contains($"{Path.DirectorySeparatorChar}Debug{Path.DirectorySeparatorChar}", StringComparison.Ordinal) ? "Debug" : "Release";
        var project = Path.Combine(RepositoryPaths.Root, "DryWet.Web");
        var dll = Path.Combine(project, "bin", configuration, "net10.0", "linux-x64", "DryWet.Web.dll");
        File.Exists(dll).ShouldBeTrue($"{dll} is missing: build the solution first (./test.sh does).");

        var start = new ProcessStartInfo(Environment.ProcessPath ?? "dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = project,
        };
        start.ArgumentList.Add(dll);
        start.ArgumentList.Add("--contentRoot");
        start.ArgumentList.Add(project);
        // Nothing from the developer's shell decides which adapters or serving the child gets.
        foreach (var key in start.Environment.Keys.Where(k => k.StartsWith("ConnectionStrings__", StringComparison.Ordinal) || k.StartsWith("Web__", StringComparison.Ordinal)).ToList())
        {
            start.Environment.Remove(key);
        }

        start.Environment["ASPNETCORE_URLS"] = "http://127.0.0.1:0";
        start.Environment["ASPNETCORE_ENVIRONMENT"] = "Production";
        start.Environment["Logging__LogLevel__Default"] = "Warning";
        start.Environment["Logging__LogLevel__Microsoft.Hosting.Lifetime"] = "Information";
        // Disposing kills the process, and a killed .NET process leaves its runtime's debugger and diagnostics endpoints
        // (clr-debug-pipe-<pid>-*, dotnet-diagnostic-<pid>-*) in the temp folder: the page under test needs neither.
        start.Environment["DOTNET_EnableDiagnostics"] = "0";
        foreach (var (key, value) in environment)
        {
            start.Environment[key] = value;
        }

        var process = Process.Start(start)!;
        var listening = new TaskCompletionSource<Uri>(TaskCreationOptions.RunContinuationsAsynchronously);
        var web = new WebProcess(process);
        void OnLine(string? line)
        {
            if (line is null)
            {
                return;
            }

            lock (web._output)
            {
                web._output.AppendLine(line);
            }

            if (Listening().Match(line) is { Success: true } m)
            {
                listening.TrySetResult(new Uri(m.Groups["url"].Value + "/"));
            }
        }

        process.OutputDataReceived += (_, e) => OnLine(e.Data);
        process.ErrorDataReceived += (_, e) => OnLine(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        process.EnableRaisingEvents = true;
        process.Exited += (_, _) =>
        {
            process.WaitForExit(); // drains the redirected output, so the message has the app's last words
            listening.TrySetException(new InvalidOperationException($"DryWet.Web exited with {process.ExitCode}:\n{web.Output}"));
        };

        try
        {
            web.Address = await listening.Task.WaitAsync(TimeSpan.FromSeconds(60));
        }
        catch
        {
            await web.DisposeAsync();
            throw;
        }

        return web;
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }

        _process.Dispose();
    }
}

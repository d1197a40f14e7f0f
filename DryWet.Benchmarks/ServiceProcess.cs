using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace DryWet.Benchmarks;

/// <summary>
/// A DryWet app (serving, the web) started as its own process, as deployed, on a free loopback port, configured by
/// environment variables: settings from the caller's shell (<c>Serving__*</c>, <c>Web__*</c>, …) are removed, so
/// the child runs with its defaults plus what the benchmark names (unless <c>inheritSettings</c>: the serving benchmark
/// lets the shell tune the server). Its memory is read from <c>/proc/&lt;pid&gt;/status</c>.
/// </summary>
internal sealed class ServiceProcess : IAsyncDisposable
{
    private static readonly string[] InheritedPrefixes = ["Serving__", "Model__", "Web__", "DryWet__", "ConnectionStrings__", "services__"];
    private readonly StringBuilder _output = new();

    private ServiceProcess(string name, Process process, Uri address)
    {
        Name = name;
        Process = process;
        Address = address;
    }

    public string Name { get; }

    public Process Process { get; }

    public Uri Address { get; }

    /// <summary>The last lines the app wrote (stdout and stderr), for an error message.</summary>
    public string OutputTail
    {
        get
        {
            lock (_output)
            {
                var text = _output.ToString();
                return text.Length > 4000 ? text[^4000..] : text;
            }
        }
    }

    /// <summary>Resident set size now (VmRSS) in MB; 0 once the process is gone.</summary>
    public double ResidentMegabytes() => StatusKilobytes("VmRSS:") / 1024;

    /// <summary>Peak resident set size (VmHWM) in MB since start or since <see cref="ResetPeak"/>.</summary>
    public double PeakResidentMegabytes() => StatusKilobytes("VmHWM:") / 1024;

    /// <summary>Resets VmHWM to the current RSS (writes 5 to <c>/proc/&lt;pid&gt;/clear_refs</c>); false where not allowed.</summary>
    public bool ResetPeak()
    {
        try
        {
            File.WriteAllText($"/proc/{Process.Id}/clear_refs", "5");
            return true;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }

    private double StatusKilobytes(string field)
    {
        try
        {
            return File.ReadLines($"/proc/{Process.Id}/status").Where(l => l.StartsWith(field, StringComparison.Ordinal))
                .Select(l => double.Parse(l[field.Length..].Trim().Split(' ')[0], CultureInfo.InvariantCulture)).FirstOrDefault();
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return 0;
        }
    }

    /// <summary>DryWet.Serving on <paramref name="packageDir"/>, ready once <c>GET /</c> says the model is loaded.</summary>
    /// <param name="environment">Extra settings, e.g. <c>Serving__PredictionLog__SampleRate</c>.</param>
    public static Task<ServiceProcess> StartServingAsync(string packageDir, IReadOnlyDictionary<string, string>? environment = null, bool inheritSettings = false)
    {
        var dll = typeof(DryWet.Serving.ServingOptions).Assembly.Location;
        var settings = new Dictionary<string, string> { ["Model__Path"] = packageDir };
        foreach (var (key, value) in environment ?? new Dictionary<string, string>())
        {
            settings[key] = value;
        }

        return StartAsync("DryWet.Serving", dll, [], Path.GetDirectoryName(dll)!, settings, inheritSettings, async client =>
        {
            using var status = System.Text.Json.JsonDocument.Parse(await client.GetStringAsync("/"));
            return status.RootElement.GetProperty("model_loaded").GetBoolean();
        });
    }

    /// <summary>
    /// DryWet.Web from its own build folder (as <c>dotnet run</c> starts it, its project folder the content root),
    /// ready once <c>/alive</c> answers 200.
    /// </summary>
    public static Task<ServiceProcess> StartWebAsync(IReadOnlyDictionary<string, string> environment)
    {
        var project = Path.Combine(RepositoryRoot(), "DryWet.Web");
        var configuration = AppContext.BaseDirectory.Contains($"{Path.DirectorySeparatorChar}Debug{Path.DirectorySeparatorChar}", StringComparison.Ordinal) ? "Debug" : "Release";
        var dll = Path.Combine(project, "bin", configuration, "net10.0", "linux-x64", "DryWet.Web.dll");
        if (!File.Exists(dll))
        {
            throw new InvalidOperationException($"{dll} is missing: build it first (dotnet build DryWet.Web -c {configuration}).");
        }

        return StartAsync("DryWet.Web", dll, ["--contentRoot", project], project, environment, inheritSettings: false, async client =>
        {
            using var response = await client.GetAsync("/alive");
            return response.IsSuccessStatusCode;
        });
    }

    private static async Task<ServiceProcess> StartAsync(string name, string dll, string[] arguments, string workingDirectory,
        IReadOnlyDictionary<string, string> environment, bool inheritSettings, Func<HttpClient, Task<bool>> ready)
    {
        var address = new Uri($"http://127.0.0.1:{FreePort()}");
        var start = new ProcessStartInfo(Environment.ProcessPath ?? "dotnet")
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = workingDirectory,
        };
        if (!Path.GetFileNameWithoutExtension(start.FileName).Equals("dotnet", StringComparison.Ordinal))
        {
            start.FileName = "dotnet"; // run as an apphost: start the app with the muxer on PATH
        }

        start.ArgumentList.Add(dll);
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        foreach (var key in start.Environment.Keys.Where(k => !inheritSettings && InheritedPrefixes.Any(p => k.StartsWith(p, StringComparison.OrdinalIgnoreCase))).ToList())
        {
            start.Environment.Remove(key);
        }

        start.Environment["ASPNETCORE_URLS"] = address.ToString();
        start.Environment["ASPNETCORE_ENVIRONMENT"] = "Production";
        start.Environment["Logging__LogLevel__Default"] = "Warning";
        foreach (var (key, value) in environment)
        {
            start.Environment[key] = value;
        }

        var process = Process.Start(start) ?? throw new InvalidOperationException($"Could not start {name}.");
        var service = new ServiceProcess(name, process, address);
        process.OutputDataReceived += (_, e) => service.Append(e.Data);
        process.ErrorDataReceived += (_, e) => service.Append(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        using var client = new HttpClient { BaseAddress = address, Timeout = TimeSpan.FromSeconds(10) };
        var deadline = DateTime.UtcNow.AddMinutes(2);
        while (DateTime.UtcNow < deadline)
        {
            if (process.HasExited)
            {
                await process.WaitForExitAsync();
                throw new InvalidOperationException($"{name} exited with code {process.ExitCode}:\n{service.OutputTail}");
            }

            try
            {
                if (await ready(client))
                {
                    return service;
                }
            }
            catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException)
            {
                // Not listening yet.
            }

            await Task.Delay(200);
        }

        await service.DisposeAsync();
        throw new TimeoutException($"{name} was not ready within 2 minutes:\n{service.OutputTail}");
    }

    private void Append(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_output)
        {
            _output.AppendLine(line);
            if (_output.Length > 64_000)
            {
                _output.Remove(0, _output.Length - 16_000);
            }
        }
    }

    private static int FreePort()
    {
        using var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        var port = ((IPEndPoint)probe.LocalEndpoint).Port;
        probe.Stop();
        return port;
    }

    /// <summary>The folder holding DryWet.sln, above this benchmark's build folder.</summary>
    private static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "DryWet.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException($"DryWet.sln not found above {AppContext.BaseDirectory}: run the benchmark from its build folder in the repository.");
    }

    public async ValueTask DisposeAsync()
    {
        if (!Process.HasExited)
        {
            Process.Kill(entireProcessTree: true);
            await Process.WaitForExitAsync();
        }

        Process.Dispose();
    }
}

using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;

namespace DryWet.Benchmarks.Serving;

/// <summary>
/// Drives <c>POST /predict</c> with <c>wrk</c> (Debian package <c>wrk</c>), a load generator outside the server's
/// process and written in C: the figure an external client sees, without the .NET client's own CPU cost competing
/// for the same runtime. The multipart body is written once to a file that a small Lua script sends on every request.
/// </summary>
internal sealed partial class WrkLoad : IDisposable
{
    private const string Boundary = "drywetbenchboundary7f3a";
    private readonly string _folder = Path.Combine(Path.GetTempPath(), $"drywet-wrk-{Guid.NewGuid():N}");

    private WrkLoad(byte[] image)
    {
        Directory.CreateDirectory(_folder);
        var head = Encoding.ASCII.GetBytes($"--{Boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"frame.jpg\"\r\nContent-Type: image/jpeg\r\n\r\n");
        var tail = Encoding.ASCII.GetBytes($"\r\n--{Boundary}--\r\n");
        File.WriteAllBytes(BodyFile, [.. head, .. image, .. tail]);
        // The done() hook prints one parseable line; latency percentiles come in microseconds.
        File.WriteAllText(ScriptFile, $$"""
            local f = assert(io.open(os.getenv("DRYWET_BODY"), "rb"))
            wrk.method = "POST"
            wrk.body = f:read("*all")
            f:close()
            wrk.headers["Content-Type"] = "multipart/form-data; boundary={{Boundary}}"
            done = function(summary, latency, requests)
              local e = summary.errors
              io.write(string.format("DRYWET requests=%d seconds=%.3f p50_us=%d p99_us=%d socket_errors=%d non2xx=%d\n",
                summary.requests, summary.duration / 1e6, latency:percentile(50), latency:percentile(99),
                e.connect + e.read + e.write + e.timeout, e.status))
            end
            """);
    }

    private string BodyFile => Path.Combine(_folder, "body.bin");
    private string ScriptFile => Path.Combine(_folder, "predict.lua");

    /// <summary>wrk when it is on PATH, else null (the caller falls back to its in-process client and says so).</summary>
    public static WrkLoad? TryCreate(byte[] image) => FindOnPath("wrk") is null ? null : new WrkLoad(image);

    public async Task<WrkResult> RunAsync(Uri server, int connections, int seconds)
    {
        // Two wrk threads: it needs little CPU, and more threads than cores would only steal from the server.
        var start = new ProcessStartInfo("wrk", ["-t", Math.Min(2, connections).ToString(CultureInfo.InvariantCulture), "-c", connections.ToString(CultureInfo.InvariantCulture),
            "-d", $"{seconds}s", "--timeout", "30s", "-s", ScriptFile, new Uri(server, "/predict").ToString()])
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        start.Environment["DRYWET_BODY"] = BodyFile;
        using var process = Process.Start(start) ?? throw new InvalidOperationException("Could not start wrk.");
        var output = await process.StandardOutput.ReadToEndAsync();
        var errors = await process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        var match = ResultLine().Match(output);
        if (process.ExitCode != 0 || !match.Success)
        {
            throw new InvalidOperationException($"wrk failed (exit {process.ExitCode}): {errors.Trim()} {output.Trim()}");
        }

        double Number(string group) => double.Parse(match.Groups[group].Value, CultureInfo.InvariantCulture);
        var requests = Number("requests");
        return new WrkResult(requests / Number("seconds"), Number("p50") / 1000, Number("p99") / 1000, (int)requests,
            (int)(Number("socket") + Number("non2xx")));
    }

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    private static string? FindOnPath(string name) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries)
            .Select(dir => Path.Combine(dir, name)).FirstOrDefault(File.Exists);

    [GeneratedRegex(@"DRYWET requests=(?<requests>\d+) seconds=(?<seconds>[\d.]+) p50_us=(?<p50>\d+) p99_us=(?<p99>\d+) socket_errors=(?<socket>\d+) non2xx=(?<non2xx>\d+)")]
    private static partial Regex ResultLine();
}

/// <summary>One wrk run: requests per second, latency percentiles in ms, requests sent and those that failed.</summary>
internal sealed record WrkResult(double RequestsPerSecond, double P50Ms, double P99Ms, int Requests, int Failed);

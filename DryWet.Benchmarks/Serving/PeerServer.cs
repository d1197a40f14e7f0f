using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace DryWet.Benchmarks.Serving;

/// <summary>
/// The original stack (<c>../shared/peers/seed_serving.py</c>: FastAPI on uvicorn, PyTorch eager, one image per
/// request) started for the same run: <c>--peer "&lt;command&gt;"</c> is the command that runs the script (e.g.
/// <c>chroot /opt/trixie python3 /peers/seed_serving.py</c>, see the peers README); the benchmark appends
/// <c>--port P --img-size S --threads 2 --quiet</c> and waits for <c>GET /</c>. It stays idle while DryWet is measured.
/// </summary>
internal sealed class PeerServer : IAsyncDisposable
{
    private readonly Process _process;

    private PeerServer(Process process, Uri address)
    {
        _process = process;
        Address = address;
    }

    public Uri Address { get; }

    public Process Process => _process;

    public static async Task<PeerServer> StartAsync(string command, int imageSize)
    {
        var port = FreePort();
        var start = new ProcessStartInfo("/bin/sh") { RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add("-c");
        start.ArgumentList.Add(string.Create(CultureInfo.InvariantCulture, $"exec {command} --port {port} --img-size {imageSize} --threads 2 --quiet"));
        var process = Process.Start(start) ?? throw new InvalidOperationException($"Could not start the peer: {command}");
        var output = new System.Text.StringBuilder();
        process.OutputDataReceived += (_, e) => { lock (output) { output.AppendLine(e.Data); } };
        process.ErrorDataReceived += (_, e) => { lock (output) { output.AppendLine(e.Data); } };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        var peer = new PeerServer(process, new Uri($"http://127.0.0.1:{port}"));
        using var client = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
        var watch = Stopwatch.StartNew();
        while (watch.Elapsed < TimeSpan.FromMinutes(3))
        {
            if (process.HasExited)
            {
                break;
            }

            try
            {
                using var response = await client.GetAsync(peer.Address);
                if (response.StatusCode == HttpStatusCode.OK)
                {
                    return peer;
                }
            }
            catch (HttpRequestException)
            {
                // not listening yet
            }

            await Task.Delay(1000);
        }

        await peer.DisposeAsync();
        string tail;
        lock (output)
        {
            tail = output.ToString();
        }

        throw new InvalidOperationException($"The peer '{command}' did not answer GET / within 3 minutes: {(tail.Length > 2000 ? tail[^2000..] : tail).Trim()}");
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

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}

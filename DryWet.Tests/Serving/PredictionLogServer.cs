using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text.Json;

namespace DryWet.Tests.Serving;

/// <summary>
/// A serving app with the test model and its own DryWet:Home, for the prediction-log tests: predict over HTTP, read
/// the embedded store's files and the Prometheus counters.
/// </summary>
internal sealed class PredictionLogServer : IAsyncDisposable
{
    private readonly TempFolder _folder;

    private PredictionLogServer(TempFolder folder, ServingApp app, HttpClient client)
    {
        _folder = folder;
        App = app;
        Client = client;
    }

    public ServingApp App { get; }
    public HttpClient Client { get; }
    public string Home => _folder.Sub("home");

    /// <summary>The embedded prediction log: <c>&lt;home&gt;/objects/ml-feedback/predictions</c>.</summary>
    public string PredictionsFolder => Path.Combine(Home, "objects", "ml-feedback", "predictions");

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    /// <param name="folder">A folder prepared by the test (e.g. old log entries under its home), else a fresh one.</param>
    /// <param name="version">The served version: a test reading metrics by <c>model_version</c> gives its own, since every
    /// in-process host's "DryWet.Serving" meter shows on every host's /metrics.</param>
    public static async Task<PredictionLogServer> StartAsync(IReadOnlyDictionary<string, string?> settings, TempFolder? folder = null, string version = "7")
    {
        folder ??= new TempFolder();
        var package = TestModels.WritePackage(folder.Sub("package"), TestModels.BlueVersusRed(4f), imgSize: 32);
        var all = new Dictionary<string, string?>(settings)
        {
            ["Model:Path"] = package,
            ["Model:Version"] = version,
            ["DryWet:Home"] = folder.Sub("home"),
        };
        var (app, client) = await ServingApp.StartAsync(all);
        return new PredictionLogServer(folder, app, client);
    }

    public async Task<(HttpStatusCode Status, JsonElement Body)> PredictAsync(byte[] image, string fileName = "road.jpg", string contentType = "image/jpeg")
    {
        using var response = await Client.PostAsync("/predict", ServingApp.ImageForm(image, fileName: fileName, contentType: contentType), Ct);
        return (response.StatusCode, JsonDocument.Parse(await response.Content.ReadAsStringAsync(Ct)).RootElement.Clone());
    }

    /// <summary>Files of the embedded prediction log, relative to <see cref="PredictionsFolder"/> ('/'-separated), temp files excluded.</summary>
    public IReadOnlyList<string> LoggedFiles() => !Directory.Exists(PredictionsFolder)
        ? []
        : Directory.EnumerateFiles(PredictionsFolder, "*", SearchOption.AllDirectories)
            .Select(f => Path.GetRelativePath(PredictionsFolder, f).Replace(Path.DirectorySeparatorChar, '/'))
            .Where(f => !Path.GetFileName(f).StartsWith('.'))
            .Order(StringComparer.Ordinal)
            .ToList();

    /// <summary>The sum of a metric's samples whose labels contain <paramref name="labels"/> (e.g. <c>reason="queue_full"</c>).</summary>
    public async Task<double> MetricAsync(string name, string labels = "")
    {
        var text = await Client.GetStringAsync("/metrics", Ct);
        return text.Split('\n')
            .Where(l => (l.StartsWith(name + "{", StringComparison.Ordinal) || l.StartsWith(name + " ", StringComparison.Ordinal)) && l.Contains(labels, StringComparison.Ordinal))
            .Sum(l => double.Parse(l[(l.LastIndexOf('}') is var brace and >= 0 ? brace + 1 : name.Length)..].Trim().Split(' ')[0], CultureInfo.InvariantCulture));
    }

    /// <summary>Waits (20 s at most) until the metric reaches <paramref name="expected"/>; the exporter caches scrapes briefly.</summary>
    public async Task<double> WaitForMetricAsync(string name, string labels, double expected)
    {
        var value = 0.0;
        await Eventually.TrueAsync(async () => (value = await MetricAsync(name, labels)) >= expected, $"{name}{{{labels}}} reaches {expected}");
        return value;
    }

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        await App.DisposeAsync();
        _folder.Dispose();
    }
}

/// <summary>Polls a condition until it holds, failing after a deadline with what was awaited.</summary>
internal static class Eventually
{
    public static async Task TrueAsync(Func<Task<bool>> condition, string what, double seconds = 20)
    {
        var deadline = DateTime.UtcNow.AddSeconds(seconds);
        while (!await condition())
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"Not within {seconds} s: {what}.");
            }

            await Task.Delay(50, TestContext.Current.CancellationToken);
        }
    }

    public static Task TrueAsync(Func<bool> condition, string what, double seconds = 20) =>
        TrueAsync(() => Task.FromResult(condition()), what, seconds);
}

/// <summary>
/// A TCP server that accepts connections and never answers: an object store that hangs. Disposing it resets every
/// connection, so a client waiting on it fails at once.
/// </summary>
internal sealed class SilentServer : IDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly List<Socket> _accepted = [];
    private readonly CancellationTokenSource _stop = new();
    private int _disposed;

    public SilentServer()
    {
        _listener.Start();
        _ = AcceptAsync();
    }

    public int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;

    public int Connections
    {
        get
        {
            lock (_accepted)
            {
                return _accepted.Count;
            }
        }
    }

    private async Task AcceptAsync()
    {
        try
        {
            while (true)
            {
                var socket = await _listener.AcceptSocketAsync(_stop.Token);
                lock (_accepted)
                {
                    _accepted.Add(socket);
                }
            }
        }
        catch (Exception ex) when (ex is OperationCanceledException or SocketException or ObjectDisposedException)
        {
            // Stopped.
        }
    }

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 1)
        {
            return;
        }

        _stop.Cancel();
        _listener.Stop();
        lock (_accepted)
        {
            foreach (var socket in _accepted)
            {
                socket.Close(0);
            }
        }

        _stop.Dispose();
    }
}

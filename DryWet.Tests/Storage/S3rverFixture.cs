using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Logging.Abstractions;
using Minio;
using DryWet.Core.Storage;

namespace DryWet.Tests.Storage;

/// <summary>
/// A real S3 server for the tests: s3rver 3.7.1 (npm; MinIO has no binary and Docker is missing here), started on a
/// free loopback port with a fresh data folder and stopped at the end. Installed from eng/s3rver (package-lock.json)
/// by CI (<c>npm ci --prefix eng/s3rver</c>); installed here on first use when missing. Clients go through
/// <see cref="S3rverNamespaceFix"/> (an s3rver XML-namespace bug that hides listed objects from the Minio SDK).
/// s3rver ignores S3's conditional-write headers and applies a request to an object as several file writes;
/// eng/s3rver/conditional-writes.js (preloaded) adds the headers as S3 and MinIO document them and applies each bucket's
/// requests one at a time, unless <see cref="ConditionalWrites"/> is false (s3rver as it ships, which the adapter must refuse).
/// </summary>
public partial class S3rverFixture : IAsyncLifetime
{
    public const string AccessKey = "S3RVER";
    public const string SecretKey = "S3RVER";
    public const string PreconfiguredBucket = "ml-data";

    private Process? _process;
    private string? _dataDir;

    public int Port { get; private set; }
    public Uri Endpoint => new($"http://127.0.0.1:{Port}");
    public string ConnectionString => $"Endpoint={Endpoint};AccessKey={AccessKey};SecretKey={SecretKey}";

    public IMinioClient CreateClient() => new MinioClient()
        .WithEndpoint($"127.0.0.1:{Port}")
        .WithCredentials(AccessKey, SecretKey)
        .WithSSL(false)
        .WithHttpClient(new HttpClient(new S3ConditionalWrites { InnerHandler = new S3rverNamespaceFix { InnerHandler = new SocketsHttpHandler() } }))
        .Build();

    /// <summary>Whether s3rver runs with S3's conditional writes (If-None-Match/If-Match on PUT) added.</summary>
    protected virtual bool ConditionalWrites => true;

    public MinioObjectStore CreateStore() => new(CreateClient(), Endpoint.ToString(), NullLogger<MinioObjectStore>.Instance);

    public async ValueTask InitializeAsync()
    {
        var script = await EnsureInstalledAsync();
        _dataDir = TestFolders.NewTempDirectory("s3rver");
        // Port 0: s3rver binds a free port itself and prints it. Probing a free port first and passing it raced with
        // other tests' servers binding port 0 in between (s3rver then failed to bind, and the probe found the other server).
        var start = new ProcessStartInfo("node") { RedirectStandardOutput = true, RedirectStandardError = true };
        if (ConditionalWrites)
        {
            start.ArgumentList.Add("-r");
            start.ArgumentList.Add(Path.Combine(TestFolders.RepositoryRoot, "eng", "s3rver", "conditional-writes.js"));
        }

        foreach (var argument in new[] { script, "-d", _dataDir, "-p", "0", "-a", "127.0.0.1", "--silent", "--configure-bucket", PreconfiguredBucket })
        {
            start.ArgumentList.Add(argument);
        }

        var listening = new TaskCompletionSource<int>(TaskCreationOptions.RunContinuationsAsynchronously);
        _process = Process.Start(start) ?? throw new InvalidOperationException("Could not start node for s3rver.");
        _process.OutputDataReceived += (_, e) =>
        {
            if (e.Data is { } line && ListeningLine().Match(line) is { Success: true } match)
            {
                listening.TrySetResult(int.Parse(match.Groups["port"].Value, System.Globalization.CultureInfo.InvariantCulture));
            }
        };
        _process.EnableRaisingEvents = true;
        _process.Exited += (_, _) => listening.TrySetException(new InvalidOperationException($"s3rver exited with code {_process.ExitCode} before listening."));
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
        Port = await listening.Task.WaitAsync(TimeSpan.FromSeconds(20));
    }

    [System.Text.RegularExpressions.GeneratedRegex(@"S3rver listening on [0-9.]+:(?<port>\d+)")]
    private static partial System.Text.RegularExpressions.Regex ListeningLine();

    public ValueTask DisposeAsync()
    {
        if (_process is { HasExited: false })
        {
            _process.Kill(entireProcessTree: true);
            _process.WaitForExit(5000);
        }

        _process?.Dispose();
        if (_dataDir is not null)
        {
            TestFolders.DeleteQuietly(_dataDir);
        }

        return ValueTask.CompletedTask;
    }

    private static async Task<string> EnsureInstalledAsync()
    {
        var prefix = Path.Combine(TestFolders.RepositoryRoot, "eng", "s3rver");
        var script = Path.Combine(prefix, "node_modules", "s3rver", "bin", "s3rver.js");
        if (File.Exists(script))
        {
            return script;
        }

        using var npm = Process.Start(new ProcessStartInfo("npm", ["ci", "--prefix", prefix, "--no-audit", "--no-fund"])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        }) ?? throw new InvalidOperationException("npm is not available; install Node.js 20 and run: npm ci --prefix eng/s3rver");
        var errors = await npm.StandardError.ReadToEndAsync();
        await npm.WaitForExitAsync();
        if (npm.ExitCode != 0 || !File.Exists(script))
        {
            throw new InvalidOperationException($"Installing s3rver failed (npm ci --prefix eng/s3rver, exit {npm.ExitCode}): {errors}");
        }

        return script;
    }

    internal static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}

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
/// </summary>
public sealed class S3rverFixture : IAsyncLifetime
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
        .WithHttpClient(new HttpClient(new S3rverNamespaceFix()))
        .Build();

    public MinioObjectStore CreateStore() => new(CreateClient(), Endpoint.ToString(), NullLogger<MinioObjectStore>.Instance);

    public async ValueTask InitializeAsync()
    {
        var script = await EnsureInstalledAsync();
        _dataDir = TestFolders.NewTempDirectory("s3rver");
        Port = FreePort();
        var start = new ProcessStartInfo("node")
        {
            ArgumentList = { script, "-d", _dataDir, "-p", Port.ToString(), "-a", "127.0.0.1", "--silent", "--configure-bucket", PreconfiguredBucket },
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        _process = Process.Start(start) ?? throw new InvalidOperationException("Could not start node for s3rver.");
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
        await WaitForPortAsync(Port, TimeSpan.FromSeconds(20));
    }

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

    private async Task WaitForPortAsync(int port, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (DateTime.UtcNow < deadline)
        {
            if (_process!.HasExited)
            {
                throw new InvalidOperationException($"s3rver exited with code {_process.ExitCode} before listening on {port}.");
            }

            try
            {
                using var client = new TcpClient();
                await client.ConnectAsync(IPAddress.Loopback, port);
                return;
            }
            catch (SocketException)
            {
                await Task.Delay(100);
            }
        }

        throw new TimeoutException($"s3rver did not listen on 127.0.0.1:{port} within {timeout.TotalSeconds} s.");
    }
}

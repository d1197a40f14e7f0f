using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace DryWet.Tests.Model;

/// <summary>
/// A real HTTP server on loopback standing in for torchvision's weights host (or a mirror): serves files put into
/// <see cref="Files"/> under <c>/mirror/</c>, and can misbehave: a body cut short of its Content-Length, or a slow
/// trickle. Counts requests so tests can see the cache at work.
/// </summary>
internal sealed class WeightsServer : IAsyncDisposable
{
    private readonly WebApplication _app;
    private int _requests;

    private WeightsServer(WebApplication app) => _app = app;

    public Dictionary<string, byte[]> Files { get; } = new(StringComparer.Ordinal);

    /// <summary>Send only this share of the body, then abort the connection (Content-Length stays the full size).</summary>
    public double? TruncateAt { get; set; }

    /// <summary>Pause between 4 KB chunks.</summary>
    public TimeSpan ChunkDelay { get; set; }

    public int Requests => Volatile.Read(ref _requests);

    public Uri BaseUrl { get; private set; } = null!;

    public static async Task<WeightsServer> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        var app = builder.Build();
        var server = new WeightsServer(app);
        app.MapGet("/mirror/{name}", server.ServeAsync);
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        server.BaseUrl = new Uri(address.TrimEnd('/') + "/mirror/");
        return server;
    }

    private async Task ServeAsync(HttpContext context, string name)
    {
        Interlocked.Increment(ref _requests);
        if (!Files.TryGetValue(name, out var bytes))
        {
            context.Response.StatusCode = StatusCodes.Status404NotFound;
            return;
        }

        context.Response.ContentType = "application/octet-stream";
        context.Response.ContentLength = bytes.Length;
        var limit = TruncateAt is { } share ? (int)(bytes.Length * share) : bytes.Length;
        for (var offset = 0; offset < limit; offset += 4096)
        {
            await context.Response.Body.WriteAsync(bytes.AsMemory(offset, Math.Min(4096, limit - offset)), context.RequestAborted);
            await context.Response.Body.FlushAsync(context.RequestAborted);
            if (ChunkDelay > TimeSpan.Zero)
            {
                await Task.Delay(ChunkDelay, context.RequestAborted);
            }
        }

        if (limit < bytes.Length)
        {
            context.Abort();
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}

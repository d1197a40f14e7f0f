using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.AspNetCore.Mvc.Testing;

namespace DryWet.Tests.Serving;

/// <summary>The real DryWet.Serving app on a real Kestrel socket (random loopback port), configured by settings.</summary>
// Any type of the Serving assembly names it; `Program` is ambiguous here (the AppHost has one too).
public sealed class ServingApp : WebApplicationFactory<DryWet.Serving.ServingOptions>
{
    /// <summary>
    /// Held while a test host is built and started: the factory finds the app's host through a process-wide
    /// DiagnosticListener and can grab any host built at the same moment (another ServingApp, a fake MLflow server).
    /// </summary>
    internal static readonly SemaphoreSlim StartLock = new(1, 1);
    private readonly IReadOnlyDictionary<string, string?> _settings;
    private readonly Action<IServiceCollection>? _services;

    /// <param name="services">Replaces app services after the app registered its own (a fake that stands in for what a test cannot run, e.g. timing).</param>
    public ServingApp(IReadOnlyDictionary<string, string?> settings, Action<IServiceCollection>? services = null)
    {
        _settings = settings;
        _services = services;
        // Not UseKestrel(0): that rewrites the server's addresses after the app has started Kestrel on its own thread,
        // racing Kestrel's bind ("Addresses cannot be modified after the server has started", dotnet/aspnetcore#67714).
        // A loopback URL with port 0 in the configuration gives Kestrel a free port before it binds.
        UseKestrel();
    }

    /// <summary>Starts the server and returns a client for it.</summary>
    public static async Task<(ServingApp App, HttpClient Client)> StartAsync(IReadOnlyDictionary<string, string?> settings, bool waitForModel = true,
        Action<IServiceCollection>? services = null)
    {
        var app = new ServingApp(settings, services);
        // Minimal-hosting factories intercept the host being built through a process-wide DiagnosticListener; two
        // starting at once (parallel test classes) can grab each other's host. Start one at a time.
        await StartLock.WaitAsync();
        try
        {
            app.StartServer();
        }
        finally
        {
            StartLock.Release();
        }

        var client = app.CreateClient();
        client.Timeout = TimeSpan.FromSeconds(60);
        if (waitForModel)
        {
            await app.WaitForModelAsync(client);
        }

        return (app, client);
    }

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseEnvironment("Development");
        builder.UseSetting("urls", "http://127.0.0.1:0");
        builder.UseSetting("Model:IntraOpThreads", "1");
        foreach (var (key, value) in _settings)
        {
            builder.UseSetting(key, value);
        }

        if (_services is not null)
        {
            builder.ConfigureTestServices(_services);
        }
    }

    public async Task WaitForModelAsync(HttpClient client)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (true)
        {
            var status = await client.GetFromJsonAsync<JsonElement>("/");
            if (status.GetProperty("model_loaded").GetBoolean())
            {
                return;
            }

            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"The model did not load within 30 s: {status}");
            }

            await Task.Delay(50);
        }
    }

    public static MultipartFormDataContent ImageForm(byte[] image, string field = "file", string fileName = "road.jpg", string contentType = "image/jpeg")
    {
        var content = new ByteArrayContent(image);
        content.Headers.ContentType = new MediaTypeHeaderValue(contentType);
        return new MultipartFormDataContent { { content, field, fileName } };
    }
}

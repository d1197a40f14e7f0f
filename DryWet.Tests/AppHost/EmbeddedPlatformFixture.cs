using Aspire.Hosting;
using Aspire.Hosting.ApplicationModel;
using Aspire.Hosting.Testing;
using DryWet.Tests.Storage;
using Microsoft.Extensions.DependencyInjection;

namespace DryWet.Tests.AppHost;

/// <summary>
/// The real AppHost started in embedded mode (no Docker needed) on a fresh home folder, with exactly the settings a new
/// user gets: the default sample data and the default training config (DryWet.AppHost/config/tiny.yaml). The training
/// watcher runs under libtorch's own CPU kernels; the learning on pinned AVX2 kernels is TrainerCliTests' (same sample
/// data, same config), so no second AppHost trains for it.
/// </summary>
public sealed class EmbeddedPlatformFixture : IAsyncLifetime
{
    public const string AdminKey = "e2e-admin-key";

    public string Home { get; } = TestFolders.NewTempPath("drywet-e2e");

    public DistributedApplication App { get; private set; } = null!;

    public async ValueTask InitializeAsync()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(3));
        var builder = await DistributedApplicationTestingBuilder.CreateAsync<Projects.DryWet_AppHost>(
            ["--DryWet:Mode=embedded", $"--DryWet:Home={Home}", $"--Parameters:serving-admin-key={AdminKey}"],
            timeout.Token);
        App = await builder.BuildAsync(timeout.Token);
        await App.StartAsync(timeout.Token);
        await App.ResourceNotifications.WaitForResourceAsync("serving", KnownResourceStates.Running, timeout.Token);
    }

    public async Task<ExecuteCommandResult> ExecuteCommandAsync(string resource, string command, CancellationToken ct) =>
        await App.Services.GetRequiredService<ResourceCommandService>().ExecuteCommandAsync(resource, command, ct);

    public async ValueTask DisposeAsync()
    {
        if (App is not null)
        {
            await App.StopAsync();
            await App.DisposeAsync();
        }

        TestFolders.DeleteQuietly(Home);
    }
}

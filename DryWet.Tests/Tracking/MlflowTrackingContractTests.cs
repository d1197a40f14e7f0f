using Microsoft.Extensions.Hosting;

namespace DryWet.Tests.Tracking;

/// <summary>The tracking/registry contract on the MLflow adapters, against the fake MLflow server.</summary>
public sealed class MlflowTrackingContractTests : TrackingContractTests
{
    private FakeMlflowServer? _server;

    protected override async Task<IHost> CreateHostAsync()
    {
        _server = await FakeMlflowServer.StartAsync();
        return PlatformHost.Build(Home, _server.BaseAddress);
    }

    public override async ValueTask DisposeAsync()
    {
        await base.DisposeAsync();
        if (_server is not null)
        {
            await _server.DisposeAsync();
        }
    }
}

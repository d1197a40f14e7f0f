using Aspire.Hosting;
using DryWet.AppHost.Minio;
using DryWet.AppHost.Mlflow;
using DryWet.AppHost.Platform;
using DryWet.AppHost.Serving;
using DryWet.AppHost.Trainer;
using DryWet.Core;

namespace DryWet.Tests.AppHost;

public class PlatformModeTests
{
    private sealed class FixedProbe(string? runtime) : ContainerRuntimeProbe
    {
        public override (string? Runtime, string Reason) Probe() => (runtime, runtime is null ? "nothing found (test)" : $"{runtime} answers (test)");
    }

    [Theory]
    [InlineData(null, PlatformMode.Embedded)]
    [InlineData("docker", PlatformMode.Containers)]
    [InlineData("podman", PlatformMode.Containers)]
    public void Auto_mode_follows_the_container_engine(string? runtime, PlatformMode expected)
    {
        var builder = DistributedApplication.CreateBuilder([]);

        var decision = builder.ResolvePlatformMode(new FixedProbe(runtime));

        decision.Mode.ShouldBe(expected);
        decision.Reason.ShouldContain("(test)");
    }

    [Theory]
    [InlineData("--DryWet:Mode=embedded", PlatformMode.Embedded)]
    [InlineData("--mode=containers", PlatformMode.Containers)]
    public void An_explicit_mode_wins_over_detection(string arg, PlatformMode expected)
    {
        var builder = DistributedApplication.CreateBuilder([arg]);

        builder.ResolvePlatformMode(new FixedProbe(expected == PlatformMode.Embedded ? "docker" : null)).Mode.ShouldBe(expected);
    }

    [Fact]
    public void An_unknown_mode_is_rejected_with_the_valid_values()
    {
        var builder = DistributedApplication.CreateBuilder(["--DryWet:Mode=kubernetes"]);

        var error = Should.Throw<DryWetException>(() => builder.ResolvePlatformMode(new FixedProbe(null)));
        error.Message.ShouldContain("'kubernetes'");
        error.Message.ShouldContain("'embedded', 'containers' or 'auto'");
    }

    [Fact]
    public void Publishing_always_uses_the_container_model()
    {
        var builder = DistributedApplication.CreateBuilder(["--operation", "publish", "--DryWet:Mode=embedded"]);

        builder.ResolvePlatformMode(new FixedProbe(null)).Mode.ShouldBe(PlatformMode.Containers);
    }
}

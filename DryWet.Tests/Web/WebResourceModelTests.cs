#pragma warning disable ASPIREPROBES001 // probes are what Kubernetes readiness/liveness come from
using Aspire.Hosting.ApplicationModel;
using DryWet.Tests.AppHost;

namespace DryWet.Tests.Web;

/// <summary>The AppHost's "web" resource: what it is wired to in both modes (the model only; nothing is started).</summary>
public sealed class WebResourceModelTests
{
    [Theory]
    [InlineData("embedded")]
    [InlineData("containers")]
    public async Task Web_finds_serving_by_service_discovery_and_starts_once_serving_has_started(string mode)
    {
        await using var builder = await AppHostModel.CreateAsync(mode);
        var web = builder.Resource<ProjectResource>("web");

        var environment = await web.PublishedEnvironmentAsync();
        environment["services__serving__http__0"].ShouldBe("{serving.bindings.http.url}");
        var wait = web.Annotations.OfType<WaitAnnotation>().Single(w => w.Resource.Name == "serving");
        wait.WaitType.ShouldBe(WaitType.WaitUntilStarted); // not healthy: serving is unready until a model exists
        environment["Web__AdminApiKey"].ShouldBe("{serving-admin-key.value}");
        environment["Web__PathBase"].ShouldBe("/dry-wet-ui");
    }

    [Fact]
    public async Task Web_shares_the_embedded_home_with_trainer_and_serving()
    {
        await using var builder = await AppHostModel.CreateAsync("embedded");

        var web = await builder.Resource<ProjectResource>("web").PublishedEnvironmentAsync();
        var serving = await builder.Resource<ProjectResource>("serving").PublishedEnvironmentAsync();
        web["DryWet__Home"].ShouldBe(serving["DryWet__Home"]);
    }

    [Fact]
    public async Task Web_uses_minio_and_mlflow_in_container_mode()
    {
        await using var builder = await AppHostModel.CreateAsync("containers");

        var environment = await builder.Resource<ProjectResource>("web").PublishedEnvironmentAsync();
        environment["ConnectionStrings__minio"].ShouldBe("{minio.connectionString}");
        environment["ConnectionStrings__mlflow"].ShouldBe("{mlflow.connectionString}");
    }

    [Fact]
    public async Task Web_listens_on_5080_externally_with_probes_and_a_dashboard_link()
    {
        await using var builder = await AppHostModel.CreateAsync("embedded");
        var web = builder.Resource<ProjectResource>("web");

        var http = web.Annotations.OfType<EndpointAnnotation>().Single(e => e.Name == "http");
        http.Port.ShouldBe(5080);
        http.IsExternal.ShouldBeTrue();
        http.UriScheme.ShouldBe("http");
        var probes = web.Annotations.OfType<EndpointProbeAnnotation>().ToDictionary(p => p.Type, p => p.Path);
        probes[ProbeType.Readiness].ShouldBe("/health");
        probes[ProbeType.Liveness].ShouldBe("/alive");
        web.Annotations.OfType<ResourceUrlsCallbackAnnotation>().ShouldNotBeEmpty();
    }
}

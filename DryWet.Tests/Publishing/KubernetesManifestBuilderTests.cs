using Aspire.Hosting;
using Aspire.Hosting.ApplicationModel;
using DryWet.AppHost.Publishing;
using k8s.Models;

namespace DryWet.Tests.Publishing;

/// <summary>Rules of the Kubernetes mapping on small ad-hoc models (no AppHost).</summary>
public class KubernetesManifestBuilderTests
{
    private static async Task<IReadOnlyList<KubernetesManifest>> BuildAsync(Action<IDistributedApplicationBuilder> model, params string[] args)
    {
        var builder = DistributedApplication.CreateBuilder(["--operation", "publish", .. args]);
        model(builder);
        return await new KubernetesManifestBuilder(new DistributedApplicationModel(builder.Resources), new KubernetesPublishOptions(), builder.Configuration)
            .BuildAsync(TestContext.Current.CancellationToken);
    }

    [Fact]
    public async Task A_secret_on_a_command_line_is_refused()
    {
        var error = await Should.ThrowAsync<InvalidOperationException>(() => BuildAsync(b =>
        {
            var key = b.AddParameter("api-key", secret: true);
            b.AddContainer("worker", "worker-image", "1.0").WithArgs("--key", key);
        }, "--Parameters:api-key=hunter2"));

        error.Message.ShouldContain("'worker' passes a secret on its command line");
        error.Message.ShouldNotContain("hunter2");
    }

    [Fact]
    public async Task A_parameter_without_a_value_names_the_setting_to_fill()
    {
        var error = await Should.ThrowAsync<InvalidOperationException>(() => BuildAsync(b =>
        {
            var token = b.AddParameter("registry-token", secret: true);
            b.AddContainer("worker", "worker-image", "1.0").WithEnvironment("TOKEN", token);
        }));

        error.Message.ShouldContain("Parameters:registry-token");
    }

    [Fact]
    public async Task A_bind_mount_cannot_be_published()
    {
        var error = await Should.ThrowAsync<InvalidOperationException>(() => BuildAsync(b =>
            b.AddContainer("worker", "worker-image", "1.0").WithBindMount("/srv/data", "/data")));

        error.Message.ShouldContain("bind mount");
    }

    [Fact]
    public async Task Secret_environment_goes_to_the_Secret_and_plain_values_to_the_ConfigMap()
    {
        var manifests = await BuildAsync(b =>
        {
            var key = b.AddParameter("api-key", secret: true);
            b.AddContainer("worker", "worker-image", "1.0").WithEnvironment("API_KEY", key).WithEnvironment("MODE", "batch");
        }, "--Parameters:api-key=hunter2");

        var config = manifests.Select(m => m.Object).OfType<V1ConfigMap>().Single();
        var secret = manifests.Select(m => m.Object).OfType<V1Secret>().Single();
        config.Data.ShouldBe(new Dictionary<string, string> { ["MODE"] = "batch" });
        secret.StringData.ShouldBe(new Dictionary<string, string> { ["API_KEY"] = "hunter2" });
        manifests.Select(m => m.Object).OfType<V1Deployment>().Single().Spec.Template.Spec.Containers[0].Image.ShouldBe("worker-image:1.0");
    }
}

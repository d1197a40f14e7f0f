using Aspire.Hosting;
using Aspire.Hosting.ApplicationModel;
using DryWet.AppHost.Publishing;
using k8s;
using k8s.Models;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace DryWet.Tests.Publishing;

/// <summary>Rules of the Kubernetes mapping on small ad-hoc models (no AppHost).</summary>
public class KubernetesManifestBuilderTests
{
    private static async Task<KubernetesPublishResult> BuildAsync(Action<IDistributedApplicationBuilder> model, params string[] args)
    {
        var builder = DistributedApplication.CreateBuilder(["--operation", "publish", .. args]);
        model(builder);
        await using var app = builder.Build();
        var configuration = app.Services.GetRequiredService<IConfiguration>();
        return await new KubernetesManifestBuilder(
                app.Services.GetRequiredService<DistributedApplicationModel>(),
                app.Services.GetRequiredService<DistributedApplicationExecutionContext>(),
                KubernetesPublishOptions.From(configuration),
                configuration)
            .BuildAsync(TestContext.Current.CancellationToken);
    }

    private static T Single<T>(KubernetesPublishResult result) => result.Manifests.Select(m => m.Object).OfType<T>().ShouldHaveSingleItem();

    private static string AllYaml(KubernetesPublishResult result) => string.Join("\n", result.Manifests.Select(m => KubernetesYaml.Serialize(m.Object)));

    [Fact]
    public async Task A_secret_on_a_command_line_is_refused()
    {
        var error = await Should.ThrowAsync<InvalidOperationException>(() => BuildAsync(b =>
        {
            var key = b.AddParameter("api-key", secret: true);
            b.AddContainer("worker", "worker-image", "1.0").WithArgs("--key", key);
        }, "--Parameters:api-key=hunter2"));

        error.Message.ShouldContain("'worker' passes a secret on its command line (drywet-secrets/api-key)");
        error.Message.ShouldNotContain("hunter2");
    }

    [Fact]
    public async Task A_plain_parameter_without_a_value_names_the_setting_to_fill()
    {
        var error = await Should.ThrowAsync<InvalidOperationException>(() => BuildAsync(b =>
        {
            var region = b.AddParameter("region");
            b.AddContainer("worker", "worker-image", "1.0").WithEnvironment("REGION", region);
        }));

        error.Message.ShouldContain("Parameters:region");
    }

    [Fact]
    public async Task A_bind_mount_cannot_be_published()
    {
        var error = await Should.ThrowAsync<InvalidOperationException>(() => BuildAsync(b =>
            b.AddContainer("worker", "worker-image", "1.0").WithBindMount("/srv/data", "/data")));

        error.Message.ShouldContain("bind mount");
    }

    [Fact]
    public async Task A_secret_parameter_is_a_key_of_the_users_Secret_and_its_value_is_never_read()
    {
        var result = await BuildAsync(b =>
        {
            var key = b.AddParameter("api-key", secret: true);
            b.AddContainer("worker", "worker-image", "1.0").WithEnvironment("API_KEY", key).WithEnvironment("MODE", "batch");
        }, "--Parameters:api-key=hunter2");

        Single<V1ConfigMap>(result).Data.ShouldBe(new Dictionary<string, string> { ["MODE"] = "batch" });
        var container = Single<V1Deployment>(result).Spec.Template.Spec.Containers.ShouldHaveSingleItem();
        container.Image.ShouldBe("worker-image:1.0");
        var apiKey = container.Env.ShouldHaveSingleItem();
        apiKey.Name.ShouldBe("API_KEY");
        apiKey.ValueFrom.SecretKeyRef.Name.ShouldBe("drywet-secrets");
        apiKey.ValueFrom.SecretKeyRef.Key.ShouldBe("api-key");
        result.UserSecret!.Keys.ShouldHaveSingleItem().ShouldBe(new UserSecretKey("api-key", ["worker: API_KEY"]), new UserSecretKeyComparer());
        AllYaml(result).ShouldNotContain("hunter2");
    }

    [Fact]
    public async Task Text_around_a_secret_is_kept_and_the_secret_is_expanded_in_the_pod()
    {
        var result = await BuildAsync(b =>
        {
            var password = b.AddParameter("db-password", secret: true);
            b.AddContainer("worker", "worker-image", "1.0")
                .WithEnvironment("DATABASE_URL", ReferenceExpression.Create($"postgres://app:{password}@db/$main"));
        });

        var env = Single<V1Deployment>(result).Spec.Template.Spec.Containers[0].Env;
        env.Select(e => e.Name).ShouldBe(["SECRET_DRYWET_SECRETS_DB_PASSWORD", "DATABASE_URL"]);
        env[0].ValueFrom.SecretKeyRef.Key.ShouldBe("db-password");
        // A literal $ is doubled so that Kubernetes does not expand it.
        env[1].Value.ShouldBe("postgres://app:$(SECRET_DRYWET_SECRETS_DB_PASSWORD)@db/$$main");
    }

    [Fact]
    public async Task A_new_project_resource_publishes_like_any_other_and_finds_its_peers_through_their_Services()
    {
        var result = await BuildAsync(b =>
        {
            var api = b.AddProject<Projects.DryWet_Serving>("api").WithHttpEndpoint(port: 5001, name: "api");
            b.AddProject<Projects.DryWet_Serving>("web").WithReference(api.GetEndpoint("api")).PublishAsKubernetesImage("web-image:2.0");
        });

        var deployments = result.Manifests.Select(m => m.Object).OfType<V1Deployment>().ToDictionary(d => d.Metadata.Name);
        deployments.Keys.ShouldBe(["api-deployment", "web-deployment"], ignoreOrder: true);
        deployments["web-deployment"].Spec.Template.Spec.Containers[0].Image.ShouldBe("web-image:2.0");
        deployments["api-deployment"].Spec.Template.Spec.Containers[0].Image.ShouldBe("api:latest");
        deployments["web-deployment"].Spec.Template.Spec.SecurityContext.RunAsNonRoot.ShouldBe(true);
        var webConfig = result.Manifests.Single(m => m.Folder == "web" && m.Object is V1ConfigMap).Object.ShouldBeOfType<V1ConfigMap>();
        webConfig.Data.ShouldContainKeyAndValue("services__api__api__0", "http://api-service:5001");

        // The reference is also the only flow their NetworkPolicies allow between them (plus the cluster DNS).
        var policies = result.Manifests.Select(m => m.Object).OfType<V1NetworkPolicy>().ToDictionary(p => p.Metadata.Name);
        policies.Keys.ShouldBe(["api-network", "web-network", "drywet-default-deny"], ignoreOrder: true);
        var apiIngress = policies["api-network"].Spec.Ingress.ShouldHaveSingleItem();
        apiIngress.FromProperty.ShouldHaveSingleItem().PodSelector.MatchLabels["app.kubernetes.io/component"].ShouldBe("web");
        apiIngress.Ports.Select(p => p.Port.Value).ShouldBe(["8080", "5001"], ignoreOrder: true, "every port api publishes");
        var webEgress = policies["web-network"].Spec.Egress;
        webEgress.Count.ShouldBe(2);
        webEgress[1].To.ShouldHaveSingleItem().PodSelector.MatchLabels["app.kubernetes.io/component"].ShouldBe("api");
        policies["web-network"].Spec.Ingress.ShouldBeEmpty("nothing references web");
    }

    [Fact]
    public async Task The_image_annotation_is_overridden_by_configuration_at_publish_time()
    {
        var result = await BuildAsync(b => b.AddContainer("worker", "worker-image", "1.0").PublishAsKubernetesImage("worker:v1"),
            "--DryWet:Kubernetes:Images:worker=registry.local/worker:v2");

        Single<V1Deployment>(result).Spec.Template.Spec.Containers[0].Image.ShouldBe("registry.local/worker:v2");
    }

    [Fact]
    public async Task An_autoscaled_deployment_gets_an_autoscaler_a_disruption_budget_and_spread_and_leaves_replicas_to_the_autoscaler()
    {
        var result = await BuildAsync(b => b.AddContainer("worker", "worker-image", "1.0")
            .WithHttpEndpoint(targetPort: 8080, name: "http")
            .WithKubernetesResources(cpu: "500m", memory: "512Mi", cpuLimit: "2", memoryLimit: "2Gi")
            .PublishWithAutoscaling(minReplicas: 2, maxReplicas: 5, cpuUtilizationPercent: 60));

        var deployment = Single<V1Deployment>(result);
        deployment.Spec.Replicas.ShouldBeNull();
        deployment.Spec.Strategy.RollingUpdate.MaxUnavailable.Value.ShouldBe("0");
        deployment.Spec.Template.Spec.TopologySpreadConstraints.Select(t => t.TopologyKey)
            .ShouldBe(["kubernetes.io/hostname", "topology.kubernetes.io/zone"]);
        var hpa = Single<V2HorizontalPodAutoscaler>(result);
        hpa.Spec.ScaleTargetRef.Name.ShouldBe("worker-deployment");
        (hpa.Spec.MinReplicas, hpa.Spec.MaxReplicas).ShouldBe((2, 5));
        hpa.Spec.Metrics.ShouldHaveSingleItem().Resource.Target.AverageUtilization.ShouldBe(60);
        var budget = Single<V1PodDisruptionBudget>(result);
        budget.Spec.MinAvailable.Value.ShouldBe("1");
        budget.Spec.Selector.MatchLabels.ShouldBe(deployment.Spec.Selector.MatchLabels);
    }

    [Fact]
    public async Task Autoscaling_on_cpu_without_a_cpu_request_is_refused()
    {
        var error = await Should.ThrowAsync<InvalidOperationException>(() => BuildAsync(b =>
            b.AddContainer("worker", "worker-image", "1.0").PublishWithAutoscaling()));

        error.Message.ShouldContain("'worker' is autoscaled on CPU but has no CPU request");
    }

    [Fact]
    public void Autoscaling_with_one_replica_is_refused_because_the_budget_would_block_drains()
    {
        var builder = DistributedApplication.CreateBuilder(["--operation", "publish"]);

        Should.Throw<ArgumentOutOfRangeException>(() => builder.AddContainer("worker", "worker-image", "1.0").PublishWithAutoscaling(minReplicas: 1));
    }

    private sealed class UserSecretKeyComparer : IEqualityComparer<UserSecretKey>
    {
        public bool Equals(UserSecretKey? x, UserSecretKey? y) => x!.Key == y!.Key && x.UsedBy.SequenceEqual(y.UsedBy);

        public int GetHashCode(UserSecretKey obj) => obj.Key.GetHashCode(StringComparison.Ordinal);
    }

    [Fact]
    public async Task Published_args_replace_the_laptop_args_and_a_singleton_is_one_replica_recreated()
    {
        var result = await BuildAsync(b => b.AddContainer("watcher", "trainer-image", "1.0")
            .WithArgs("watch", "--output", "/home/me/models")
            .PublishWithArgs("watch", "--submit-kfp", "--kubeflow-host", "http://ml-pipeline.kubeflow:8888")
            .PublishAsSingleton(), "--DryWet:Kubernetes:Replicas=3");

        var deployment = Single<V1Deployment>(result);
        deployment.Spec.Replicas.ShouldBe(1, "a singleton ignores the default replica count");
        deployment.Spec.Strategy.Type.ShouldBe("Recreate");
        deployment.Spec.Strategy.RollingUpdate.ShouldBeNull();
        deployment.Spec.Template.Spec.Containers.ShouldHaveSingleItem().Args
            .ShouldBe(["watch", "--submit-kfp", "--kubeflow-host", "http://ml-pipeline.kubeflow:8888"]);

        var plain = Single<V1Deployment>(await BuildAsync(b => b.AddContainer("worker", "worker-image", "1.0").WithArgs("run")));
        plain.Spec.Strategy.Type.ShouldBe("RollingUpdate");
        plain.Spec.Template.Spec.Containers.ShouldHaveSingleItem().Args.ShouldBe(["run"]);
    }

    [Fact]
    public void An_autoscaled_resource_cannot_be_a_singleton()
    {
        var builder = DistributedApplication.CreateBuilder(["--operation", "publish"]);
        var worker = builder.AddContainer("worker", "worker-image", "1.0").PublishWithAutoscaling();
        Should.Throw<InvalidOperationException>(() => worker.PublishAsSingleton()).Message.ShouldContain("'worker' is autoscaled");
    }
}

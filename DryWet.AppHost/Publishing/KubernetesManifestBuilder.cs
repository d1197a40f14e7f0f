using DryWet.AppHost.Extensions;
using k8s.Models;
using Microsoft.Extensions.Configuration;

namespace DryWet.AppHost.Publishing;

/// <summary>One object to write: <c>&lt;Folder&gt;/&lt;FileName&gt;</c>.</summary>
public sealed record KubernetesManifest(string Folder, string FileName, object Object);

/// <summary>
/// Maps the application model to Kubernetes objects with the conventions of Aspire.Hosting.Kubernetes
/// (<c>&lt;res&gt;-deployment</c>, <c>-service</c>, <c>-config</c>, <c>-secrets</c>, app.kubernetes.io labels, envFrom),
/// plus what DryWet needs: Jobs for run-to-completion resources with GPU limits, probes, a hardened pod, an Istio route
/// and Prometheus scraping. Secrets never leave Secret objects.
/// </summary>
public sealed class KubernetesManifestBuilder(DistributedApplicationModel model, KubernetesPublishOptions options, IConfiguration configuration)
{
    private const int AppUserId = 1654; // the "app" user of the .NET container images
    private readonly ManifestExpressionResolver _resolver = new(model, options, configuration);

    public async Task<IReadOnlyList<KubernetesManifest>> BuildAsync(CancellationToken ct)
    {
        var manifests = new List<KubernetesManifest>();
        foreach (var resource in model.Resources.OfType<IResourceWithEnvironment>())
        {
            if (resource is ParameterResource || _resolver.IsMappedToPlatform(resource) || resource is not (ProjectResource or ContainerResource))
            {
                continue;
            }

            manifests.AddRange(await BuildResourceAsync(resource, ct).ConfigureAwait(false));
        }

        return manifests;
    }

    private async Task<IEnumerable<KubernetesManifest>> BuildResourceAsync(IResourceWithEnvironment resource, CancellationToken ct)
    {
        var name = resource.KubernetesName();
        var labels = Labels(name);
        var (config, secrets) = await SplitEnvironmentAsync(resource, ct).ConfigureAwait(false);
        var args = await ArgumentsAsync(resource, ct).ConfigureAwait(false);
        var endpoints = resource.Annotations.OfType<EndpointAnnotation>().Where(e => e.UriScheme != "https").ToList();

        var container = new V1Container
        {
            Name = name,
            Image = Image(resource),
            ImagePullPolicy = options.ImagePullPolicy,
            Args = args.Count > 0 ? args : null,
            EnvFrom =
            [
                new V1EnvFromSource { ConfigMapRef = new V1ConfigMapEnvSource { Name = $"{name}-config" } },
                new V1EnvFromSource { SecretRef = new V1SecretEnvSource { Name = $"{name}-secrets" } },
            ],
            Ports = endpoints.Count > 0
                ? endpoints.Select(e => new V1ContainerPort { Name = e.Name, ContainerPort = ManifestExpressionResolver.ContainerPort(e), Protocol = "TCP" }).ToList()
                : null,
            Resources = Resources(resource),
            SecurityContext = resource is ProjectResource
                ? new V1SecurityContext { AllowPrivilegeEscalation = false, Capabilities = new V1Capabilities { Drop = ["ALL"] } }
                : null,
        };
        ApplyProbes(resource, container);

        var pod = new V1PodSpec
        {
            Containers = [container],
            // Projects run as the images' non-root "app" user; third-party images keep their own user.
            SecurityContext = resource is ProjectResource
                ? new V1PodSecurityContext { RunAsNonRoot = true, RunAsUser = AppUserId, RunAsGroup = AppUserId, FsGroup = AppUserId, SeccompProfile = new V1SeccompProfile { Type = "RuntimeDefault" } }
                : null,
        };
        AddVolumes(resource, name, pod, container);

        var gpus = resource.GpuCount();
        if (gpus is > 0)
        {
            container.Resources ??= new V1ResourceRequirements();
            container.Resources.Limits ??= new Dictionary<string, ResourceQuantity>();
            container.Resources.Limits["nvidia.com/gpu"] = new ResourceQuantity(gpus.Value.ToString(System.Globalization.CultureInfo.InvariantCulture));
            pod.Tolerations = [new V1Toleration { Key = "nvidia.com/gpu", OperatorProperty = "Exists", Effect = "NoSchedule" }];
        }

        var route = resource.Annotations.OfType<KubernetesGatewayRouteAnnotation>().LastOrDefault();
        var template = new V1PodTemplateSpec { Metadata = new V1ObjectMeta { Labels = labels }, Spec = pod };
        if (route is not null)
        {
            var metricsPort = ManifestExpressionResolver.ContainerPort(endpoints.First(e => e.Name == route.EndpointName));
            template.Metadata.Annotations = new Dictionary<string, string>
            {
                ["prometheus.io/scrape"] = "true",
                ["prometheus.io/port"] = metricsPort.ToString(System.Globalization.CultureInfo.InvariantCulture),
                ["prometheus.io/path"] = "/metrics",
            };
        }

        var result = new List<KubernetesManifest>();
        if (resource.Annotations.OfType<KubernetesJobAnnotation>().LastOrDefault() is { } job)
        {
            pod.RestartPolicy = "Never";
            ApplyJobSteps(job, name, pod, container);
            result.Add(new(name, "job.yaml", new V1Job
            {
                ApiVersion = "batch/v1",
                Kind = "Job",
                Metadata = Metadata(name, labels),
                Spec = new V1JobSpec
                {
                    // Applied suspended, like the AppHost's explicit start: `kubectl patch job <name> -p '{"spec":{"suspend":false}}'` runs it.
                    Suspend = true,
                    BackoffLimit = 0,
                    TtlSecondsAfterFinished = 86400,
                    Template = template,
                },
            }));
        }
        else if (resource is IResourceWithConnectionString)
        {
            result.Add(new(name, "statefulset.yaml", new V1StatefulSet
            {
                ApiVersion = "apps/v1",
                Kind = "StatefulSet",
                Metadata = Metadata($"{name}-statefulset", labels),
                Spec = new V1StatefulSetSpec
                {
                    ServiceName = $"{name}-service",
                    Replicas = 1,
                    Selector = new V1LabelSelector { MatchLabels = labels },
                    Template = template,
                },
            }));
        }
        else
        {
            result.Add(new(name, "deployment.yaml", new V1Deployment
            {
                ApiVersion = "apps/v1",
                Kind = "Deployment",
                Metadata = Metadata($"{name}-deployment", labels),
                Spec = new V1DeploymentSpec
                {
                    Replicas = options.ServingReplicas,
                    RevisionHistoryLimit = 3,
                    Selector = new V1LabelSelector { MatchLabels = labels },
                    // Never fewer ready pods than asked for during an image update.
                    Strategy = new V1DeploymentStrategy
                    {
                        Type = "RollingUpdate",
                        RollingUpdate = new V1RollingUpdateDeployment { MaxSurge = "1", MaxUnavailable = "0" },
                    },
                    Template = template,
                },
            }));
        }

        if (endpoints.Count > 0 && !resource.Annotations.OfType<KubernetesJobAnnotation>().Any())
        {
            result.Add(new(name, "service.yaml", new V1Service
            {
                ApiVersion = "v1",
                Kind = "Service",
                Metadata = Metadata($"{name}-service", labels),
                Spec = new V1ServiceSpec
                {
                    Type = "ClusterIP",
                    Selector = labels,
                    Ports = endpoints.Select(e => new V1ServicePort
                    {
                        Name = e.Name,
                        Protocol = "TCP",
                        Port = ManifestExpressionResolver.ServicePort(e),
                        TargetPort = ManifestExpressionResolver.ContainerPort(e),
                    }).ToList(),
                },
            }));
        }

        result.Add(new(name, "config.yaml", new V1ConfigMap { ApiVersion = "v1", Kind = "ConfigMap", Metadata = Metadata($"{name}-config", labels), Data = config }));
        result.Add(new(name, "secrets.yaml", new V1Secret { ApiVersion = "v1", Kind = "Secret", Type = "Opaque", Metadata = Metadata($"{name}-secrets", labels), StringData = secrets }));

        if (route is not null)
        {
            var endpoint = endpoints.First(e => e.Name == route.EndpointName);
            result.Add(new(name, "virtualservice.yaml", VirtualService(name, labels, ManifestExpressionResolver.ServicePort(endpoint))));
        }

        return result;
    }

    /// <summary>
    /// Steps before the resource's command become init containers (run in order), the resource's command is the next
    /// one, and the last step is the pod's container. Each step is the same image, environment and work folder; the
    /// GPU limit stays on the resource's own command.
    /// </summary>
    private static void ApplyJobSteps(KubernetesJobAnnotation job, string name, V1PodSpec pod, V1Container main)
    {
        main.Name = job.MainStep ?? name;
        if (job.Before.Count == 0 && job.After.Count == 0)
        {
            return;
        }

        V1Container Step(JobStep step) => new()
        {
            Name = step.Name,
            Image = main.Image,
            ImagePullPolicy = main.ImagePullPolicy,
            Args = [.. step.Args],
            EnvFrom = main.EnvFrom,
            VolumeMounts = main.VolumeMounts,
            SecurityContext = main.SecurityContext,
            // Copying data in and out needs little; the GPU and the big limits stay with the main step.
            Resources = new V1ResourceRequirements
            {
                Requests = new Dictionary<string, ResourceQuantity> { ["cpu"] = new("100m"), ["memory"] = new("256Mi") },
                Limits = new Dictionary<string, ResourceQuantity> { ["cpu"] = new("1"), ["memory"] = new("1Gi") },
            },
        };

        var steps = job.Before.Select(Step).ToList();
        if (job.After.Count == 0)
        {
            pod.InitContainers = steps;
            return;
        }

        steps.Add(main);
        steps.AddRange(job.After.Take(job.After.Count - 1).Select(Step));
        pod.InitContainers = steps;
        pod.Containers = [Step(job.After[^1])];
    }

    private IstioVirtualService VirtualService(string name, IDictionary<string, string> labels, int port)
    {
        var prefix = "/" + options.RoutePrefix.Trim('/');
        return new IstioVirtualService
        {
            Metadata = Metadata(name, labels),
            Spec = new VirtualServiceSpec
            {
                Hosts = ["*"],
                Gateways = [options.Gateway],
                Http =
                [
                    new HttpRoute
                    {
                        Name = name,
                        // "/dry-wet-model/" and "/dry-wet-model" both land on the app root.
                        Match = [new HttpMatchRequest { Uri = new StringMatch { Prefix = prefix + "/" } }, new HttpMatchRequest { Uri = new StringMatch { Exact = prefix } }],
                        Rewrite = new HttpRewrite { Uri = "/" },
                        Route = [new HttpRouteDestination { Destination = new Destination { Host = $"{name}-service.{options.Namespace}.svc.cluster.local", Port = new PortSelector { Number = port } } }],
                    },
                ],
            },
        };
    }

    private async Task<(Dictionary<string, string> Config, Dictionary<string, string> Secrets)> SplitEnvironmentAsync(IResourceWithEnvironment resource, CancellationToken ct)
    {
#pragma warning disable CS0618 // The manifest-expression form is exactly what the publisher needs.
        var environment = await resource.GetEnvironmentVariableValuesAsync(DistributedApplicationOperation.Publish).ConfigureAwait(false);
#pragma warning restore CS0618
        var config = new SortedDictionary<string, string>(StringComparer.Ordinal);
        var secrets = new SortedDictionary<string, string>(StringComparer.Ordinal);
        foreach (var (key, expression) in environment)
        {
            var value = await _resolver.ResolveAsync(expression, ct).ConfigureAwait(false);
            (value.IsSecret ? secrets : config)[key] = value.Value;
        }

        return (new(config, StringComparer.Ordinal), new(secrets, StringComparer.Ordinal));
    }

    private async Task<List<string>> ArgumentsAsync(IResource resource, CancellationToken ct)
    {
        if (resource is not IResourceWithArgs withArgs)
        {
            return [];
        }

#pragma warning disable CS0618
        var raw = await withArgs.GetArgumentValuesAsync(DistributedApplicationOperation.Publish).ConfigureAwait(false);
#pragma warning restore CS0618
        var args = new List<string>();
        foreach (var arg in raw)
        {
            var value = await _resolver.ResolveAsync(arg, ct).ConfigureAwait(false);
            if (value.IsSecret)
            {
                throw new InvalidOperationException(
                    $"Resource '{resource.Name}' passes a secret on its command line ('{arg}'); pass it through an environment variable so it lands in a Secret.");
            }

            args.Add(value.Value);
        }

        return args;
    }

    private string Image(IResource resource)
    {
        if (resource.TryGetLastAnnotation<ContainerImageAnnotation>(out var image))
        {
            var reference = $"{image.Image}:{image.Tag ?? "latest"}";
            return image.Registry is { Length: > 0 } registry ? $"{registry}/{reference}" : reference;
        }

        var name = resource.Name;
        return configuration[$"{KubernetesPublishOptions.SectionName}:Images:{name}"]
            ?? name switch
            {
                "serving" => options.ServingImage,
                "trainer" => options.TrainerImage,
                _ => $"{name}:latest",
            };
    }

    private static V1ResourceRequirements? Resources(IResource resource)
    {
        if (resource.Annotations.OfType<KubernetesResourcesAnnotation>().LastOrDefault() is not { } r)
        {
            return null;
        }

        return new V1ResourceRequirements
        {
            Requests = new Dictionary<string, ResourceQuantity> { ["cpu"] = new(r.CpuRequest), ["memory"] = new(r.MemoryRequest) },
            Limits = new Dictionary<string, ResourceQuantity> { ["cpu"] = new(r.CpuLimit), ["memory"] = new(r.MemoryLimit) },
        };
    }

    private static void ApplyProbes(IResource resource, V1Container container)
    {
        foreach (var probe in resource.Annotations.OfType<EndpointProbeAnnotation>())
        {
            var v1 = new V1Probe
            {
                HttpGet = new V1HTTPGetAction { Path = probe.Path, Port = probe.EndpointReference.EndpointName },
                InitialDelaySeconds = probe.InitialDelaySeconds,
                PeriodSeconds = probe.PeriodSeconds,
                TimeoutSeconds = probe.TimeoutSeconds,
                FailureThreshold = probe.FailureThreshold,
                SuccessThreshold = probe.SuccessThreshold,
            };
            switch (probe.Type)
            {
                case ProbeType.Liveness: container.LivenessProbe = v1; break;
                case ProbeType.Readiness: container.ReadinessProbe = v1; break;
                case ProbeType.Startup: container.StartupProbe = v1; break;
            }
        }
    }

    private static void AddVolumes(IResource resource, string name, V1PodSpec pod, V1Container container)
    {
        var volumes = resource.Annotations.OfType<ContainerMountAnnotation>().ToList();
        if (resource.Annotations.OfType<KubernetesJobAnnotation>().Any())
        {
            // The trainer's work folder (dataset and model) lives as long as the pod.
            pod.Volumes = [new V1Volume { Name = "work", EmptyDir = new V1EmptyDirVolumeSource() }];
            container.VolumeMounts = [new V1VolumeMount { Name = "work", MountPath = "/work" }];
        }

        foreach (var mount in volumes)
        {
            if (mount.Type == ContainerMountType.BindMount)
            {
                throw new InvalidOperationException($"Resource '{resource.Name}' has a bind mount ({mount.Source} → {mount.Target}); bind mounts cannot be published to Kubernetes.");
            }

            var volumeName = $"{name}-{mount.Source}".ToLowerInvariant();
            (pod.Volumes ??= []).Add(new V1Volume { Name = volumeName, EmptyDir = new V1EmptyDirVolumeSource() });
            (container.VolumeMounts ??= []).Add(new V1VolumeMount { Name = volumeName, MountPath = mount.Target, ReadOnlyProperty = mount.IsReadOnly });
        }
    }

    private Dictionary<string, string> Labels(string component) => new()
    {
        ["app.kubernetes.io/name"] = options.AppName,
        ["app.kubernetes.io/component"] = component,
        ["app.kubernetes.io/instance"] = options.AppName,
    };

    private V1ObjectMeta Metadata(string name, IDictionary<string, string> labels) =>
        new() { Name = name, NamespaceProperty = options.Namespace, Labels = new Dictionary<string, string>(labels) };
}

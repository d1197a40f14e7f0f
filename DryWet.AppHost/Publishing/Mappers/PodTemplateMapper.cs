using System.Globalization;
using k8s.Models;

namespace DryWet.AppHost.Publishing;

/// <summary>
/// The pod every workload kind runs: one container with the resource's image, arguments, ConfigMap and Secret-read
/// environment, ports, probes, requests/limits and GPUs. Every pod meets the Pod Security Standard's <i>restricted</i>
/// profile: non-root, no privilege escalation, no capabilities, RuntimeDefault seccomp, a read-only root filesystem
/// with emptyDirs for what must be writable (/tmp; the user's home, where .NET, ASP.NET and DryWet keep caches), no
/// service-account token (no workload talks to the Kubernetes API), CPU and memory limits.
/// </summary>
public static class PodTemplateMapper
{
    private const int AppUserId = 1654; // the "app" user of the .NET container images

    // Third-party images (MinIO, MLflow when the app deploys its own) run as an unprivileged user too.
    private const int ContainerUserId = 1000;

    /// <summary>The .NET images' home of the "app" user: ~/.aspnet, ~/.dotnet and DryWet's default home live here.</summary>
    public const string AppHome = "/home/app";

    public static V1PodTemplateSpec ToPodTemplate(this KubernetesResourceContext context)
    {
        var resource = context.Resource;
        var isProject = resource is ProjectResource;
        var container = new V1Container
        {
            Name = context.Name,
            Image = context.Image,
            ImagePullPolicy = context.Options.ImagePullPolicy,
            Args = context.Args.Count > 0 ? [.. context.Args] : null,
            Env = context.SecretEnvironment.Count > 0 ? [.. context.SecretEnvironment] : null,
            EnvFrom = [new V1EnvFromSource { ConfigMapRef = new V1ConfigMapEnvSource { Name = $"{context.Name}-config" } }],
            Ports = context.Endpoints.Count > 0
                ? context.Endpoints.Select(e => new V1ContainerPort { Name = e.Name, ContainerPort = EndpointPorts.ContainerPort(e), Protocol = "TCP" }).ToList()
                : null,
            Resources = Resources(resource),
            SecurityContext = new V1SecurityContext
            {
                AllowPrivilegeEscalation = false,
                ReadOnlyRootFilesystem = true,
                RunAsNonRoot = true,
                Capabilities = new V1Capabilities { Drop = ["ALL"] },
            },
        };
        ApplyProbes(resource, container);

        var user = isProject ? AppUserId : ContainerUserId;
        var pod = new V1PodSpec
        {
            Containers = [container],
            AutomountServiceAccountToken = false,
            SecurityContext = new V1PodSecurityContext
            {
                RunAsNonRoot = true,
                RunAsUser = user,
                RunAsGroup = user,
                FsGroup = user,
                SeccompProfile = new V1SeccompProfile { Type = "RuntimeDefault" },
            },
        };
        AddVolumes(context, pod, container);
        AddGpus(resource, pod, container);
        if (resource.TryGetLastAnnotation<KubernetesAutoscalingAnnotation>(out _))
        {
            // More than one replica: never all on one node (or zone) when the cluster has more; still schedule when not.
            pod.TopologySpreadConstraints =
            [
                Spread(context, "kubernetes.io/hostname"),
                Spread(context, "topology.kubernetes.io/zone"),
            ];
        }

        var template = new V1PodTemplateSpec { Metadata = new V1ObjectMeta { Labels = new Dictionary<string, string>(context.Labels) }, Spec = pod };
        if (resource.TryGetLastAnnotation<KubernetesGatewayRouteAnnotation>(out var route))
        {
            template.Metadata.Annotations = new Dictionary<string, string>
            {
                ["prometheus.io/scrape"] = "true",
                ["prometheus.io/port"] = EndpointPorts.Text(EndpointPorts.ContainerPort(context.Endpoint(route.EndpointName))),
                ["prometheus.io/path"] = "/metrics",
            };
        }

        return template;
    }

    /// <summary>The published endpoint of that name, or an error naming the endpoints there are.</summary>
    public static EndpointAnnotation Endpoint(this KubernetesResourceContext context, string name) =>
        context.Endpoints.FirstOrDefault(e => e.Name == name)
        ?? throw new InvalidOperationException(
            $"Resource '{context.Resource.Name}' has no http endpoint '{name}' (it has: {string.Join(", ", context.Endpoints.Select(e => e.Name))}).");

    private static V1TopologySpreadConstraint Spread(KubernetesResourceContext context, string topologyKey) => new()
    {
        MaxSkew = 1,
        TopologyKey = topologyKey,
        WhenUnsatisfiable = "ScheduleAnyway",
        LabelSelector = new V1LabelSelector { MatchLabels = new Dictionary<string, string>(context.Labels) },
    };

    private static V1ResourceRequirements Resources(IResource resource)
    {
        // Without WithKubernetesResources a pod still gets limits (the restricted set-up needs them): a small default.
        var r = resource.TryGetLastAnnotation<KubernetesResourcesAnnotation>(out var declared)
            ? declared
            : new KubernetesResourcesAnnotation("100m", "256Mi", "1", "1Gi");

        return new V1ResourceRequirements
        {
            Requests = new Dictionary<string, ResourceQuantity> { ["cpu"] = new(r.CpuRequest), ["memory"] = new(r.MemoryRequest) },
            Limits = new Dictionary<string, ResourceQuantity> { ["cpu"] = new(r.CpuLimit), ["memory"] = new(r.MemoryLimit) },
        };
    }

    private static void AddGpus(IResource resource, V1PodSpec pod, V1Container container)
    {
        var gpus = resource.GpuCount();
        if (gpus is not > 0)
        {
            return;
        }

        container.Resources ??= new V1ResourceRequirements();
        container.Resources.Limits ??= new Dictionary<string, ResourceQuantity>();
        container.Resources.Limits["nvidia.com/gpu"] = new ResourceQuantity(gpus.Value.ToString(CultureInfo.InvariantCulture));
        pod.Tolerations = [new V1Toleration { Key = "nvidia.com/gpu", OperatorProperty = "Exists", Effect = "NoSchedule" }];
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

    private static void AddVolumes(KubernetesResourceContext context, V1PodSpec pod, V1Container container)
    {
        // The root filesystem is read-only: temp files and the user's caches go to emptyDirs that live as long as the pod.
        pod.Volumes = [new V1Volume { Name = "tmp", EmptyDir = new V1EmptyDirVolumeSource() }];
        container.VolumeMounts = [new V1VolumeMount { Name = "tmp", MountPath = "/tmp" }];
        if (context.Resource is ProjectResource)
        {
            pod.Volumes.Add(new V1Volume { Name = "home", EmptyDir = new V1EmptyDirVolumeSource() });
            container.VolumeMounts.Add(new V1VolumeMount { Name = "home", MountPath = AppHome });
        }

        if (context.IsJob || context.Resource.TryGetLastAnnotation<KubernetesWorkVolumeAnnotation>(out _))
        {
            // The Job's work folder (dataset and model), or a Deployment's scratch.
            pod.Volumes.Add(new V1Volume { Name = "work", EmptyDir = new V1EmptyDirVolumeSource() });
            container.VolumeMounts.Add(new V1VolumeMount { Name = "work", MountPath = "/work" });
        }

        foreach (var mount in context.Resource.Annotations.OfType<ContainerMountAnnotation>())
        {
            if (mount.Type == ContainerMountType.BindMount)
            {
                throw new InvalidOperationException(
                    $"Resource '{context.Resource.Name}' has a bind mount ({mount.Source} → {mount.Target}); bind mounts cannot be published to Kubernetes.");
            }

            var volumeName = $"{context.Name}-{mount.Source}".ToLowerInvariant();
            (pod.Volumes ??= []).Add(new V1Volume { Name = volumeName, EmptyDir = new V1EmptyDirVolumeSource() });
            (container.VolumeMounts ??= []).Add(new V1VolumeMount { Name = volumeName, MountPath = mount.Target, ReadOnlyProperty = mount.IsReadOnly });
        }
    }
}

using k8s.Models;

namespace DryWet.AppHost.Publishing;

/// <summary>The resource's endpoints: v1 Service <c>&lt;name&gt;-service</c> (none for a Job or a resource without endpoints).</summary>
public static class ServiceMapper
{
    public static V1Service? ToService(this KubernetesResourceContext context)
    {
        if (context.Endpoints.Count == 0 || context.IsJob)
        {
            return null;
        }

        return new V1Service
        {
            ApiVersion = "v1",
            Kind = "Service",
            Metadata = context.Metadata($"{context.Name}-service"),
            Spec = new V1ServiceSpec
            {
                Type = "ClusterIP",
                Selector = new Dictionary<string, string>(context.Labels),
                Ports = context.Endpoints.Select(e => new V1ServicePort
                {
                    Name = e.Name,
                    Protocol = "TCP",
                    Port = EndpointPorts.ServicePort(e),
                    TargetPort = EndpointPorts.ContainerPort(e),
                }).ToList(),
            },
        };
    }
}

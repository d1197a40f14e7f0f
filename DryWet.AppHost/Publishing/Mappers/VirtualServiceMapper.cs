namespace DryWet.AppHost.Publishing;

/// <summary>
/// A resource published behind the gateway: an Istio VirtualService on <see cref="KubernetesPublishOptions.Gateway"/>
/// that routes <c>/&lt;prefix&gt;/…</c> to the resource's Service, with the prefix rewritten to <c>/</c> unless kept,
/// telling the app the request came over HTTPS.
/// </summary>
public static class VirtualServiceMapper
{
    public static IstioVirtualService? ToVirtualService(this KubernetesResourceContext context)
    {
        if (!context.Resource.TryGetLastAnnotation<KubernetesGatewayRouteAnnotation>(out var route))
        {
            return null;
        }

        var port = EndpointPorts.ServicePort(context.Endpoint(route.EndpointName));
        var prefix = "/" + (route.Prefix ?? context.Options.RoutePrefix).Trim('/');
        return new IstioVirtualService
        {
            Metadata = context.Metadata(context.Name),
            Spec = new VirtualServiceSpec
            {
                Hosts = ["*"],
                Gateways = [context.Options.Gateway],
                Http =
                [
                    new HttpRoute
                    {
                        Name = context.Name,
                        // "/dry-wet-model/" and "/dry-wet-model" both land on the app root (or on the kept prefix).
                        Match = [new HttpMatchRequest { Uri = new StringMatch { Prefix = prefix + "/" } }, new HttpMatchRequest { Uri = new StringMatch { Exact = prefix } }],
                        Rewrite = route.KeepPrefix ? null : new HttpRewrite { Uri = "/" },
                        // The gateway serves this route over HTTPS only (HTTP redirects): the app builds links and
                        // Secure cookies from this header (ASPNETCORE_FORWARDEDHEADERS_ENABLED).
                        Headers = new Headers { Request = new HeaderOperations { Set = new Dictionary<string, string> { ["X-Forwarded-Proto"] = "https" } } },
                        Route =
                        [
                            new HttpRouteDestination
                            {
                                Destination = new Destination { Host = $"{context.Name}-service.{context.Options.Namespace}.svc.cluster.local", Port = new PortSelector { Number = port } },
                            },
                        ],
                    },
                ],
            },
        };
    }
}

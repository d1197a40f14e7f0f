using System.Text.Json.Serialization;
using k8s.Models;

namespace DryWet.AppHost.Publishing;

/// <summary>
/// The subset of Istio's networking.istio.io/v1 VirtualService the publish step emits. KubernetesClient has no model
/// for it; property names follow Istio's API so the YAML is what istioctl validates.
/// </summary>
public sealed class IstioVirtualService
{
    public const string IstioApiVersion = "networking.istio.io/v1";

    [JsonPropertyName("apiVersion")] public string ApiVersion { get; set; } = IstioApiVersion;
    [JsonPropertyName("kind")] public string Kind { get; set; } = "VirtualService";
    [JsonPropertyName("metadata")] public V1ObjectMeta Metadata { get; set; } = new();
    [JsonPropertyName("spec")] public VirtualServiceSpec Spec { get; set; } = new();
}

public sealed class VirtualServiceSpec
{
    [JsonPropertyName("hosts")] public List<string> Hosts { get; set; } = [];
    [JsonPropertyName("gateways")] public List<string> Gateways { get; set; } = [];
    [JsonPropertyName("http")] public List<HttpRoute> Http { get; set; } = [];
}

public sealed class HttpRoute
{
    [JsonPropertyName("name")] public string? Name { get; set; }
    [JsonPropertyName("match")] public List<HttpMatchRequest> Match { get; set; } = [];
    [JsonPropertyName("rewrite")] public HttpRewrite? Rewrite { get; set; }
    [JsonPropertyName("route")] public List<HttpRouteDestination> Route { get; set; } = [];
    [JsonPropertyName("headers")] public Headers? Headers { get; set; }
}

public sealed class Headers
{
    [JsonPropertyName("request")] public HeaderOperations? Request { get; set; }
}

public sealed class HeaderOperations
{
    [JsonPropertyName("set")] public Dictionary<string, string>? Set { get; set; }
}

public sealed class HttpMatchRequest
{
    [JsonPropertyName("uri")] public StringMatch Uri { get; set; } = new();
}

public sealed class StringMatch
{
    [JsonPropertyName("prefix")] public string? Prefix { get; set; }
    [JsonPropertyName("exact")] public string? Exact { get; set; }
}

public sealed class HttpRewrite
{
    [JsonPropertyName("uri")] public string Uri { get; set; } = "/";
}

public sealed class HttpRouteDestination
{
    [JsonPropertyName("destination")] public Destination Destination { get; set; } = new();
}

public sealed class Destination
{
    [JsonPropertyName("host")] public string Host { get; set; } = "";
    [JsonPropertyName("port")] public PortSelector Port { get; set; } = new();
}

public sealed class PortSelector
{
    [JsonPropertyName("number")] public int Number { get; set; }
}

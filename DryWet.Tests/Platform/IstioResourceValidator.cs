using System.Text.Json;
using System.Text.Json.Nodes;

namespace DryWet.Tests.Platform;

/// <summary>
/// A strict check of the Istio resources the platform ships (networking.istio.io/v1 Gateway, VirtualService): only
/// fields of Istio's API that these files use are allowed, with their JSON types, and the required ones must be
/// present. KubernetesClient has no models for CRDs, so this stands in for the CRD's OpenAPI validation.
/// </summary>
internal static class IstioResourceValidator
{
    // A schema node: "string", "int", "bool", a Dictionary (object with allowed keys; keys ending in '!' are required),
    // or a one-element object[] (a list of that).
    private static readonly Dictionary<string, object> PortSelector = new() { ["number!"] = "int" };

    private static readonly Dictionary<string, object> StringMatch = new() { ["prefix"] = "string", ["exact"] = "string", ["regex"] = "string" };

    private static readonly Dictionary<string, object> Metadata = new()
    {
        ["name!"] = "string", ["namespace!"] = "string", ["labels"] = "map", ["annotations"] = "map",
    };

    private static readonly Dictionary<string, object> Gateway = new()
    {
        ["apiVersion!"] = "string", ["kind!"] = "string", ["metadata!"] = Metadata,
        ["spec!"] = new Dictionary<string, object>
        {
            ["selector!"] = "map",
            ["servers!"] = new object[]
            {
                new Dictionary<string, object>
                {
                    ["port!"] = new Dictionary<string, object> { ["number!"] = "int", ["name!"] = "string", ["protocol!"] = "string" },
                    ["hosts!"] = new object[] { "string" },
                    // ServerTLSSettings (the fields DryWet's gateway uses, and their neighbours).
                    ["tls"] = new Dictionary<string, object>
                    {
                        ["httpsRedirect"] = "bool", ["mode"] = "string", ["credentialName"] = "string",
                        ["minProtocolVersion"] = "string", ["maxProtocolVersion"] = "string",
                    },
                },
            },
        },
    };

    private static readonly Dictionary<string, object> VirtualService = new()
    {
        ["apiVersion!"] = "string", ["kind!"] = "string", ["metadata!"] = Metadata,
        ["spec!"] = new Dictionary<string, object>
        {
            ["hosts!"] = new object[] { "string" },
            ["gateways!"] = new object[] { "string" },
            ["http!"] = new object[]
            {
                new Dictionary<string, object>
                {
                    ["name"] = "string",
                    ["match"] = new object[] { new Dictionary<string, object> { ["uri"] = StringMatch } },
                    ["route"] = new object[]
                    {
                        new Dictionary<string, object>
                        {
                            ["destination!"] = new Dictionary<string, object> { ["host!"] = "string", ["port"] = PortSelector },
                            ["weight"] = "int",
                        },
                    },
                    ["rewrite"] = new Dictionary<string, object> { ["uri"] = "string" },
                    ["redirect"] = new Dictionary<string, object> { ["uri"] = "string" },
                    ["headers"] = new Dictionary<string, object>
                    {
                        ["request"] = new Dictionary<string, object> { ["set"] = "map", ["add"] = "map", ["remove"] = new object[] { "string" } },
                    },
                },
            },
        },
    };

    public static IReadOnlyList<string> Validate(JsonNode resource)
    {
        var errors = new List<string>();
        var kind = resource["kind"]?.GetValue<string>();
        var schema = kind switch
        {
            "Gateway" => Gateway,
            "VirtualService" => VirtualService,
            _ => null,
        };
        if (schema is null)
        {
            return [$"unexpected Istio kind {kind}"];
        }

        if (resource["apiVersion"]?.GetValue<string>() != "networking.istio.io/v1")
        {
            errors.Add($"{kind}: apiVersion must be networking.istio.io/v1 (GA since Istio 1.22), got {resource["apiVersion"]}");
        }

        Check(resource, schema, kind!, errors);
        foreach (var http in resource["spec"]?["http"]?.AsArray() ?? [])
        {
            if (http!["route"] is null && http["redirect"] is null)
            {
                errors.Add($"{kind}/{resource["metadata"]?["name"]}: http entry '{http["name"]}' has neither route nor redirect");
            }
        }

        return errors;
    }

    private static void Check(JsonNode? node, object schema, string path, List<string> errors)
    {
        var kind = node?.GetValueKind() ?? JsonValueKind.Null;
        switch (schema)
        {
            case "string" when kind != JsonValueKind.String:
                errors.Add($"{path}: expected a string, got {kind}");
                break;
            case "int" when kind != JsonValueKind.Number:
                errors.Add($"{path}: expected a number, got {kind}");
                break;
            case "bool" when kind is not (JsonValueKind.True or JsonValueKind.False):
                errors.Add($"{path}: expected a bool, got {kind}");
                break;
            case "map" when node is not JsonObject obj || obj.Any(p => p.Value?.GetValueKind() != JsonValueKind.String):
                errors.Add($"{path}: expected a map of strings");
                break;
            case object[] list when node is JsonArray array:
                for (var i = 0; i < array.Count; i++)
                {
                    Check(array[i], list[0], $"{path}[{i}]", errors);
                }

                break;
            case object[]:
                errors.Add($"{path}: expected a list, got {kind}");
                break;
            case Dictionary<string, object> fields when node is JsonObject obj:
                foreach (var (key, value) in obj)
                {
                    var field = fields.Keys.FirstOrDefault(k => k.TrimEnd('!') == key);
                    if (field is null)
                    {
                        errors.Add($"{path}: unknown field '{key}'");
                    }
                    else
                    {
                        Check(value, fields[field], $"{path}.{key}", errors);
                    }
                }

                foreach (var required in fields.Keys.Where(k => k.EndsWith('!')).Select(k => k.TrimEnd('!')))
                {
                    if (!obj.ContainsKey(required))
                    {
                        errors.Add($"{path}: missing required field '{required}'");
                    }
                }

                break;
            case Dictionary<string, object>:
                errors.Add($"{path}: expected an object, got {kind}");
                break;
        }
    }
}

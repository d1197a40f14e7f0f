using System.Text.Json;
using System.Text.Json.Nodes;
using DryWet.Tests.Platform;

namespace DryWet.Tests.Security;

/// <summary>
/// A structural validator over the Kubernetes OpenAPI definitions kept in Reference/ (the pinned version's): the
/// object's kind is found by <c>x-kubernetes-group-version-kind</c>, then every field is checked against its
/// definition — unknown fields rejected, required fields present, types matched (quantities and int-or-string
/// accept numbers as the API server does). Returns the errors with their paths.
/// </summary>
internal sealed class KubernetesSchemaValidator
{
    public const string Version = "v1.32.0";

    private const string RefPrefix = "#/definitions/";
    private const string QuantityDefinition = "io.k8s.apimachinery.pkg.api.resource.Quantity";
    private readonly JsonObject definitions;
    private readonly Dictionary<(string ApiVersion, string Kind), string> kinds = [];

    private KubernetesSchemaValidator(JsonObject definitions)
    {
        this.definitions = definitions;
        foreach (var (name, definition) in definitions)
        {
            foreach (var gvk in definition!["x-kubernetes-group-version-kind"]?.AsArray() ?? [])
            {
                var group = gvk!["group"]!.GetValue<string>();
                var version = gvk["version"]!.GetValue<string>();
                kinds[(group.Length == 0 ? version : $"{group}/{version}", gvk["kind"]!.GetValue<string>())] = name;
            }
        }
    }

    public static KubernetesSchemaValidator Pinned { get; } = new(
        (JsonObject)JsonNode.Parse(File.ReadAllText(RepositoryPaths.Combine("DryWet.Tests", "Security", "Reference", $"kubernetes-{Version}-definitions.json")))!["definitions"]!);

    public bool Knows(string apiVersion, string kind) => kinds.ContainsKey((apiVersion, kind));

    public List<string> Validate(JsonObject document)
    {
        var apiVersion = document["apiVersion"]?.GetValue<string>() ?? "";
        var kind = document["kind"]?.GetValue<string>() ?? "";
        if (!kinds.TryGetValue((apiVersion, kind), out var name))
        {
            return [$"{apiVersion} {kind} is not a kind of Kubernetes {Version} (or not among the kept definitions, Reference/README.md)"];
        }

        var errors = new List<string>();
        Check(document, Definition(name), kind, errors);
        return errors;
    }

    private JsonObject Definition(string name) =>
        definitions[name] as JsonObject ?? throw new InvalidOperationException($"definition {name} is missing from the kept Kubernetes {Version} definitions");

    private void Check(JsonNode? node, JsonObject schema, string path, List<string> errors)
    {
        if (schema["$ref"]?.GetValue<string>() is { } reference)
        {
            var name = reference[RefPrefix.Length..];
            if (name == QuantityDefinition)
            {
                // A quantity is a string the API server also accepts as a number: `cpu: 2`.
                if (node is not null && !IsKind(node, JsonValueKind.String) && !IsKind(node, JsonValueKind.Number))
                {
                    errors.Add($"{path}: expected a quantity, found {Describe(node)}");
                }

                return;
            }

            Check(node, Definition(name), path, errors);
            return;
        }

        if (node is null)
        {
            return; // an explicit null is the field left out
        }

        var type = schema["type"]?.GetValue<string>();
        var format = schema["format"]?.GetValue<string>();
        switch (type)
        {
            case "object":
                CheckObject(node, schema, path, errors);
                break;
            case "array":
                if (node is not JsonArray array)
                {
                    errors.Add($"{path}: expected a list, found {Describe(node)}");
                    break;
                }

                for (var i = 0; i < array.Count; i++)
                {
                    Check(array[i], (JsonObject)schema["items"]!, $"{path}[{i}]", errors);
                }

                break;
            case "string":
                // int-or-string takes numbers too: `port: 53`.
                var numberAllowed = format is "int-or-string";
                if (!IsKind(node, JsonValueKind.String) && !(numberAllowed && IsKind(node, JsonValueKind.Number)))
                {
                    errors.Add($"{path}: expected a string, found {Describe(node)}");
                }

                break;
            case "integer":
                if (node is not JsonValue number || !number.TryGetValue<long>(out _))
                {
                    errors.Add($"{path}: expected an integer, found {Describe(node)}");
                }

                break;
            case "number":
                if (!IsKind(node, JsonValueKind.Number)) errors.Add($"{path}: expected a number, found {Describe(node)}");
                break;
            case "boolean":
                if (!IsKind(node, JsonValueKind.True) && !IsKind(node, JsonValueKind.False)) errors.Add($"{path}: expected true or false, found {Describe(node)}");
                break;
        }
    }

    private void CheckObject(JsonNode node, JsonObject schema, string path, List<string> errors)
    {
        if (node is not JsonObject obj)
        {
            errors.Add($"{path}: expected an object, found {Describe(node)}");
            return;
        }

        if (schema["properties"] is JsonObject properties)
        {
            foreach (var (key, value) in obj)
            {
                if (properties[key] is JsonObject property)
                {
                    Check(value, property, $"{path}.{key}", errors);
                }
                else
                {
                    errors.Add($"{path}: unknown field '{key}'");
                }
            }

            foreach (var required in schema["required"]?.AsArray().Select(r => r!.GetValue<string>()) ?? [])
            {
                if (obj[required] is null) errors.Add($"{path}: required field '{required}' is missing");
            }
        }
        else if (schema["additionalProperties"] is JsonObject values)
        {
            foreach (var (key, value) in obj)
            {
                Check(value, values, $"{path}.{key}", errors);
            }
        }
    }

    private static bool IsKind(JsonNode node, JsonValueKind kind) => node is JsonValue value && value.GetValueKind() == kind;

    private static string Describe(JsonNode node) => node switch
    {
        JsonObject => "an object",
        JsonArray => "a list",
        _ => $"{node.GetValueKind().ToString().ToLowerInvariant()} {node.ToJsonString()}",
    };
}

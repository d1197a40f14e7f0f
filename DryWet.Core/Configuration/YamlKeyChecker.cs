using System.Reflection;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;
using YamlDotNet.Serialization.NamingConventions;

namespace DryWet.Core.Configuration;

/// <summary>
/// Finds keys in a YAML document that the typed model does not have (<c>trainig:</c>, <c>model.pretrianed</c>), so a
/// misspelling is an error instead of a silently ignored setting. Known keys are the public settable properties of
/// the model's types, in snake_case as the deserializer maps them; nested classes are walked, values are not.
/// </summary>
internal static class YamlKeyChecker
{
    public static IReadOnlyList<string> UnknownKeys(string yaml, Type root)
    {
        var stream = new YamlStream();
        try
        {
            stream.Load(new StringReader(yaml));
        }
        catch (YamlException)
        {
            return []; // a syntax error: the deserializer reports it with its position
        }

        var errors = new List<string>();
        if (stream.Documents.Count > 0 && stream.Documents[0].RootNode is YamlMappingNode mapping)
        {
            Walk(mapping, root, "", errors);
        }

        return errors;
    }

    private static void Walk(YamlMappingNode mapping, Type type, string prefix, List<string> errors)
    {
        var properties = KnownProperties(type);
        foreach (var (keyNode, value) in mapping.Children)
        {
            var key = (keyNode as YamlScalarNode)?.Value ?? keyNode.ToString();
            var path = prefix + key;
            if (!properties.TryGetValue(key, out var property))
            {
                errors.Add($"{KeySuggestion.UnknownKeyMessage(path, key, properties.Keys)} at line {keyNode.Start.Line}");
                continue;
            }

            if (value is YamlMappingNode child && IsSection(property.PropertyType))
            {
                Walk(child, property.PropertyType, path + ".", errors);
            }
        }
    }

    private static Dictionary<string, PropertyInfo> KnownProperties(Type type) =>
        type.GetProperties(BindingFlags.Public | BindingFlags.Instance)
            .Where(p => p.CanWrite)
            .ToDictionary(p => UnderscoredNamingConvention.Instance.Apply(p.Name), StringComparer.Ordinal);

    private static bool IsSection(Type type) => type.IsClass && type != typeof(string) && !type.IsArray;
}

using DryWet.Core;
using DryWet.Core.Configuration;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace DryWet.TrainingWorker.Overrides;

/// <summary>
/// Applies overrides to config.yaml's text before it is parsed, so an overridden value goes through exactly the
/// checks a value in the file does (ranges, cross-key rules) and the run's logged config.yaml shows what it trained with.
/// </summary>
public static class ConfigWithOverrides
{
    public static DryWetConfig Load(string path, IReadOnlyList<ConfigOverride> overrides)
    {
        if (!File.Exists(path))
        {
            throw new DryWetException($"Config file '{path}' does not exist.");
        }

        return Parse(File.ReadAllText(path), overrides, path);
    }

    public static DryWetConfig Parse(string yaml, IReadOnlyList<ConfigOverride> overrides, string source = "config.yaml")
    {
        if (overrides.Count == 0)
        {
            return DryWetConfig.Parse(yaml, source);
        }

        var stream = new YamlStream();
        try
        {
            stream.Load(new StringReader(yaml));
        }
        catch (YamlException)
        {
            return DryWetConfig.Parse(yaml, source); // reports the syntax error with its position
        }

        if (stream.Documents.Count == 0)
        {
            stream.Documents.Add(new YamlDocument(new YamlMappingNode()));
        }

        if (stream.Documents[0].RootNode is not YamlMappingNode root)
        {
            throw new DryWetException($"{source}: the document is not a mapping of sections (data:, training:, …).");
        }

        foreach (var o in overrides)
        {
            Set(root, o);
        }

        using var text = new StringWriter();
        stream.Save(text, assignAnchors: false);
        return DryWetConfig.Parse(text.ToString(), $"{source} with {string.Join(" ", overrides.Select(o => $"--set {o}"))}");
    }

    private static void Set(YamlMappingNode root, ConfigOverride o)
    {
        var mapping = root;
        var segments = o.Key.Segments;
        foreach (var section in segments.SkipLast(1))
        {
            if (!mapping.Children.TryGetValue(new YamlScalarNode(section), out var child) || child is not YamlMappingNode childMapping)
            {
                // Missing, empty ("training:") or not a mapping: the override's section replaces it.
                childMapping = new YamlMappingNode();
                mapping.Children[new YamlScalarNode(section)] = childMapping;
            }

            mapping = childMapping;
        }

        // Text is quoted so that "none" or "yes" stay the strings they are; numbers stay plain; empty clears a nullable key.
        mapping.Children[new YamlScalarNode(segments[^1])] = o.Key.Kind == ConfigValueKind.Text && o.Value.Length > 0
            ? new YamlScalarNode(o.Value) { Style = ScalarStyle.DoubleQuoted }
            : new YamlScalarNode(o.Value.Length == 0 ? "~" : o.Value) { Style = ScalarStyle.Plain };
    }
}

using System.Globalization;
using System.Reflection;
using DryWet.Core;
using DryWet.Core.Configuration;
using YamlDotNet.Serialization.NamingConventions;

namespace DryWet.TrainingWorker.Overrides;

/// <summary>
/// Every settable key of config.yaml, read from <see cref="DryWetConfig"/>'s properties in the file's snake_case (the
/// same names the loader and its unknown-key check use), so a key added to the config is settable with no list to keep.
/// </summary>
public static class ConfigKeys
{
    public static IReadOnlyList<ConfigKey> All { get; } = [.. Walk(typeof(DryWetConfig), "")];

    private static readonly Dictionary<string, ConfigKey> ByPath = All.ToDictionary(k => k.Path, StringComparer.Ordinal);

    /// <summary>The key at <paramref name="path"/>; a misspelt or unknown one is an error naming the nearest key.</summary>
    /// <param name="flag">The option the key came from, for the message (<c>--set</c>, <c>--sweep</c>).</param>
    public static ConfigKey Find(string path, string flag)
    {
        if (ByPath.TryGetValue(path, out var key))
        {
            return key;
        }

        var nearest = KeySuggestion.Nearest(path, ByPath.Keys);
        throw new DryWetException(nearest is not null
            ? $"{flag} '{path}': unknown config key (did you mean '{nearest}'?)."
            : $"{flag} '{path}': unknown config key; keys are section.name as in config.yaml, e.g. training.learning_rate, training.img_size, model.dropout.");
    }

    /// <summary>Checks <paramref name="value"/> against the key's kind; returns it trimmed. Ranges are the config's own rules.</summary>
    public static string CheckValue(ConfigKey key, string value, string flag)
    {
        var text = value.Trim();
        if (key.Kind == ConfigValueKind.List)
        {
            throw new DryWetException($"{flag} {key.Path}: this setting is a list; set it in the config file.");
        }

        if (text.Length == 0)
        {
            return key.Nullable ? text
                : throw new DryWetException($"{flag} {key.Path} has an empty value; pass {key.KindDescription}, e.g. {key.Path}={Example(key)}.");
        }

        var ok = key.Kind switch
        {
            ConfigValueKind.Integer => int.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out _),
            ConfigValueKind.Number => double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var number) && double.IsFinite(number),
            _ => true,
        };
        return ok ? text
            : throw new DryWetException($"{flag} {key.Path}='{text}' is not {key.KindDescription}; pass e.g. {key.Path}={Example(key)}.");
    }

    private static string Example(ConfigKey key) => key.Kind switch
    {
        ConfigValueKind.Integer => "224",
        ConfigValueKind.Number => "0.001",
        _ => "value",
    };

    private static IEnumerable<ConfigKey> Walk(Type type, string prefix)
    {
        foreach (var property in type.GetProperties(BindingFlags.Public | BindingFlags.Instance).Where(p => p.CanWrite))
        {
            var path = prefix + UnderscoredNamingConvention.Instance.Apply(property.Name);
            var propertyType = property.PropertyType;
            var underlying = System.Nullable.GetUnderlyingType(propertyType);
            if (propertyType.IsClass && propertyType != typeof(string) && !propertyType.IsArray)
            {
                foreach (var key in Walk(propertyType, path + "."))
                {
                    yield return key;
                }

                continue;
            }

            var kind = (underlying ?? propertyType) switch
            {
                var t when t == typeof(int) || t == typeof(long) => ConfigValueKind.Integer,
                var t when t == typeof(double) || t == typeof(float) => ConfigValueKind.Number,
                var t when t.IsArray => ConfigValueKind.List,
                _ => ConfigValueKind.Text,
            };
            var nullable = underlying is not null
                || (propertyType == typeof(string) && new NullabilityInfoContext().Create(property).WriteState == NullabilityState.Nullable);
            yield return new ConfigKey(path, kind, nullable);
        }
    }
}

using System.Reflection;
using Microsoft.Extensions.Configuration;

namespace DryWet.Core.Configuration;

/// <summary>
/// Unknown keys in a configuration section bound to an options class (<c>Model:Pth</c> for <c>ModelOptions</c>): the
/// binder would ignore them and run on defaults without a word. Names each with its nearest valid key. A setting
/// that is itself a group of settings (a class property, e.g. <c>DryWet:Trainer</c>) is checked the same way, at any
/// depth; dictionaries and lists take any key.
/// </summary>
public static class OptionsKeyChecker
{
    public static IReadOnlyList<string> UnknownKeys(IConfigurationSection section, Type optionsType)
    {
        var properties = Settings(optionsType).ToList();
        var known = properties.Select(p => p.Name).ToList();
        var errors = new List<string>();
        foreach (var child in section.GetChildren())
        {
            var property = properties.FirstOrDefault(p => string.Equals(p.Name, child.Key, StringComparison.OrdinalIgnoreCase));
            if (property is null)
            {
                errors.Add(KeySuggestion.UnknownKeyMessage(child.Path, child.Key, known));
            }
            else if (IsGroup(property.PropertyType))
            {
                errors.AddRange(UnknownKeys(child, property.PropertyType));
            }
        }

        return errors;
    }

    /// <summary>The settings of an options class: its public writable properties.</summary>
    internal static IEnumerable<PropertyInfo> Settings(Type optionsType) =>
        optionsType.GetProperties(BindingFlags.Public | BindingFlags.Instance).Where(p => p.CanWrite);

    /// <summary>A property that is a group of named settings (an options class of its own), not a value, list or dictionary.</summary>
    internal static bool IsGroup(Type type) =>
        type.IsClass && type != typeof(string) && type != typeof(Uri) && !typeof(System.Collections.IEnumerable).IsAssignableFrom(type);

    /// <summary>Throws one <see cref="DryWetException"/> listing every unknown key of every section.</summary>
    public static void ThrowOnUnknownKeys(IConfiguration configuration, params (string Section, Type Options)[] sections)
    {
        var errors = sections.SelectMany(s => UnknownKeys(configuration.GetSection(s.Section), s.Options)).ToList();
        if (errors.Count > 0)
        {
            throw new DryWetException("Settings are invalid:" + Environment.NewLine + "  - " + string.Join(Environment.NewLine + "  - ", errors));
        }
    }
}

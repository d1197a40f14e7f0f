using System.Reflection;
using Microsoft.Extensions.Configuration;

namespace DryWet.Core.Configuration;

/// <summary>
/// Unknown keys in a configuration section bound to an options class (<c>Model:Pth</c> for <c>ModelOptions</c>): the
/// binder would ignore them and run on defaults without a word. Names each with its nearest valid key.
/// </summary>
public static class OptionsKeyChecker
{
    public static IReadOnlyList<string> UnknownKeys(IConfigurationSection section, Type optionsType)
    {
        var known = optionsType.GetProperties(BindingFlags.Public | BindingFlags.Instance).Where(p => p.CanWrite).Select(p => p.Name).ToList();
        return section.GetChildren()
            .Where(c => !known.Contains(c.Key, StringComparer.OrdinalIgnoreCase))
            .Select(c => KeySuggestion.UnknownKeyMessage(c.Path, c.Key, known))
            .ToList();
    }

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

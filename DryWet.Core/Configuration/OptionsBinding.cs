using System.ComponentModel;
using System.Globalization;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace DryWet.Core.Configuration;

/// <summary>
/// The one way DryWet reads an options class from configuration: every key of the section must be a setting (a
/// misspelt key is an error naming the nearest valid one, <see cref="OptionsKeyChecker"/>), every value must convert
/// to its setting's type (in groups of settings too), and the bound values must pass <see cref="IValidatedOptions.Validate"/>. It runs when the
/// host is built, so a bad setting stops the process at start, with every problem listed in one message.
/// </summary>
public static class OptionsBinding
{
    /// <summary>Binds <paramref name="section"/> into a new <typeparamref name="T"/> (defaults where a key is absent) and checks it.</summary>
    public static T Bind<T>(IConfiguration configuration, string section) where T : class, new()
    {
        var values = configuration.GetSection(section);
        var errors = OptionsKeyChecker.UnknownKeys(values, typeof(T)).Concat(Unconvertible(values, typeof(T))).ToList();
        var options = new T();
        if (errors.Count == 0)
        {
            try
            {
                // Nested sections (dictionaries, child objects) are checked by the binder itself.
                values.Bind(options, binder => binder.ErrorOnUnknownConfiguration = true);
            }
            catch (InvalidOperationException ex)
            {
                errors.Add(ex.Message);
            }
        }

        if (errors.Count == 0)
        {
            if (options is IValidatedOptions validated)
            {
                errors.AddRange(validated.Validate(section));
            }
        }

        return errors.Count == 0
            ? options
            : throw new DryWetException("Settings are invalid:" + Environment.NewLine + "  - " + string.Join(Environment.NewLine + "  - ", errors));
    }

    /// <summary>
    /// <see cref="Bind{T}"/> now (building the host fails on a bad setting), then registers the checked values as
    /// <see cref="IOptions{TOptions}"/> and as <typeparamref name="T"/>.
    /// </summary>
    public static T AddBoundOptions<T>(this IServiceCollection services, IConfiguration configuration, string section) where T : class, new()
    {
        var options = Bind<T>(configuration, section);
        services.AddSingleton(options);
        services.AddSingleton<IOptions<T>>(Options.Create(options));
        return options;
    }

    /// <summary>Scalar settings whose text the binder could not convert (it would throw an exception naming no fix).</summary>
    private static IEnumerable<string> Unconvertible(IConfigurationSection section, Type optionsType)
    {
        foreach (var property in OptionsKeyChecker.Settings(optionsType))
        {
            if (OptionsKeyChecker.IsGroup(property.PropertyType))
            {
                foreach (var error in Unconvertible(section.GetSection(property.Name), property.PropertyType))
                {
                    yield return error;
                }

                continue;
            }

            var value = section[property.Name];
            var type = Nullable.GetUnderlyingType(property.PropertyType) ?? property.PropertyType;
            if (string.IsNullOrEmpty(value) || type == typeof(string) || !IsScalar(type) || Converts(type, value))
            {
                continue;
            }

            yield return $"{section.Path}:{property.Name} = '{value}' is not {Describe(type)}.";
        }
    }

    private static bool IsScalar(Type type) => type.IsPrimitive || type.IsEnum || type == typeof(decimal) || type == typeof(TimeSpan) || type == typeof(Uri);

    private static bool Converts(Type type, string value)
    {
        try
        {
            TypeDescriptor.GetConverter(type).ConvertFromString(null, CultureInfo.InvariantCulture, value);
            return true;
        }
        catch (Exception ex) when (ex is FormatException or NotSupportedException or ArgumentException or OverflowException || ex.InnerException is FormatException or OverflowException)
        {
            return false;
        }
    }

    private static string Describe(Type type) => type switch
    {
        _ when type == typeof(TimeSpan) => "a time span (hh:mm:ss, e.g. 00:00:10)",
        _ when type == typeof(bool) => "true or false",
        _ when type == typeof(int) || type == typeof(long) => "a whole number",
        _ when type == typeof(double) || type == typeof(float) || type == typeof(decimal) => "a number",
        _ when type.IsEnum => $"one of {string.Join(", ", Enum.GetNames(type))}",
        _ => $"a {type.Name}",
    };
}

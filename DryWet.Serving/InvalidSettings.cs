using System.Globalization;

namespace DryWet.Serving;

/// <summary>The messages of serving's options' <c>Validate</c> (<see cref="Core.Configuration.IValidatedOptions"/>): one per failed check, naming key, value and what to use.</summary>
internal static class InvalidSettings
{
    public static IEnumerable<string> Of(string section, params (bool Ok, string Key, object? Value, string Expected)[] checks) =>
        checks.Where(c => !c.Ok)
            .Select(c => string.Create(CultureInfo.InvariantCulture, $"{section}:{c.Key} = '{c.Value}' is invalid: use {c.Expected}."));
}

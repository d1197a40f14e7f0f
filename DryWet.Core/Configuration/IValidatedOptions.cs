namespace DryWet.Core.Configuration;

/// <summary>An options class that checks its own values once bound (see <see cref="OptionsBinding"/>).</summary>
public interface IValidatedOptions
{
    /// <summary>One message per bad value, each naming its key under <paramref name="section"/>; empty when all are valid.</summary>
    IEnumerable<string> Validate(string section);
}

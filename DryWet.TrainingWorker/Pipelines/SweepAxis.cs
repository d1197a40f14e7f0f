using DryWet.TrainingWorker.Overrides;

namespace DryWet.TrainingWorker.Pipelines;

/// <summary>One swept setting and the values it takes, in the order given.</summary>
public sealed record SweepAxis(ConfigKey Key, IReadOnlyList<string> Values)
{
    /// <summary>The key as a KFP parameter name (a Python identifier, as the loop item's field is): dots become underscores.</summary>
    public string ParameterName => ParameterNameOf(Key);

    public static string ParameterNameOf(ConfigKey key) => key.Path.Replace('.', '_');
}

using System.Text;
using System.Text.Json;
using DryWet.Core;
using DryWet.Core.Configuration;
using DryWet.TrainingWorker.Overrides;

namespace DryWet.TrainingWorker.Pipelines;

/// <summary>
/// <c>--sweep key=v1,v2 …</c>: the cartesian product of the axes, first axis outermost (itertools.product's order),
/// each combination one train step of the ParallelFor. <see cref="Parallelism"/> bounds how many run at once (one GPU
/// pod each); null leaves it to Argo (all at once).
/// </summary>
public sealed class TrainingSweep
{
    /// <summary>More combinations than this is almost surely a typo (or a cluster bill): refuse rather than fan out.</summary>
    public const int MaxCombinations = 64;

    private TrainingSweep(IReadOnlyList<SweepAxis> axes, int? parallelism)
    {
        Axes = axes;
        Parallelism = parallelism;
        Combinations = axes.Aggregate<SweepAxis, IEnumerable<IReadOnlyList<ConfigOverride>>>(
            [[]],
            (partial, axis) => partial.SelectMany(p => axis.Values.Select(v => (IReadOnlyList<ConfigOverride>)[.. p, new ConfigOverride(axis.Key, v)])))
            .ToList();
    }

    public IReadOnlyList<SweepAxis> Axes { get; }
    public int? Parallelism { get; }
    public IReadOnlyList<IReadOnlyList<ConfigOverride>> Combinations { get; }

    /// <summary>Parses <c>--sweep</c> arguments; every bad one is an error naming it. Values are checked against the
    /// default config's rules too (a learning rate of 20 fails here, not an hour into a cluster run).</summary>
    public static TrainingSweep Parse(IReadOnlyList<string> arguments, int? parallelism)
    {
        if (arguments.Count == 0)
        {
            throw new DryWetException("A sweep needs at least one --sweep key=v1,v2 (e.g. --sweep training.learning_rate=1e-3,3e-4).");
        }

        var axes = new List<SweepAxis>();
        foreach (var argument in arguments)
        {
            var axis = ParseAxis(argument);
            if (axes.Any(a => a.Key == axis.Key))
            {
                throw new DryWetException($"--sweep {axis.Key.Path} is given more than once; list all its values in one --sweep {axis.Key.Path}=a,b,c.");
            }

            axes.Add(axis);
        }

        var count = axes.Aggregate(1L, (n, a) => n * a.Values.Count);
        if (count > MaxCombinations)
        {
            throw new DryWetException($"--sweep gives {count} combinations ({string.Join(" × ", axes.Select(a => a.Values.Count))}); at most {MaxCombinations} are compiled. Sweep fewer values.");
        }

        if (parallelism is < 1)
        {
            throw new DryWetException($"--parallelism {parallelism} is out of range; pass how many train steps may run at once (1 or more).");
        }

        return new TrainingSweep(axes, parallelism);
    }

    /// <summary>The ParallelFor's items as the KFP compiler writes a literal list of dicts (Python's json.dumps: ", " and ": ").</summary>
    public string ItemsJson()
    {
        var text = new StringBuilder("[");
        for (var i = 0; i < Combinations.Count; i++)
        {
            text.Append(i == 0 ? "{" : ", {");
            text.AppendJoin(", ", Combinations[i].Select(o =>
                $"{JsonSerializer.Serialize(SweepAxis.ParameterNameOf(o.Key))}: {JsonSerializer.Serialize(o.Value)}"));
            text.Append('}');
        }

        return text.Append(']').ToString();
    }

    private static SweepAxis ParseAxis(string argument)
    {
        var equals = argument.IndexOf('=', StringComparison.Ordinal);
        if (equals <= 0)
        {
            throw new DryWetException($"--sweep '{argument}' is not key=v1,v2; pass e.g. --sweep training.learning_rate=1e-3,3e-4.");
        }

        var key = ConfigKeys.Find(argument[..equals].Trim(), "--sweep");
        var raw = argument[(equals + 1)..];
        if (raw.Trim().Length == 0)
        {
            throw new DryWetException($"--sweep {key.Path} has no values; pass a comma-separated list, e.g. --sweep {key.Path}=a,b.");
        }

        var values = new List<string>();
        foreach (var item in raw.Split(','))
        {
            if (item.Trim().Length == 0)
            {
                throw new DryWetException($"--sweep {key.Path}='{raw}' has an empty value; separate values by single commas.");
            }

            var value = ConfigKeys.CheckValue(key, item, "--sweep");
            if (values.Contains(value, StringComparer.Ordinal))
            {
                throw new DryWetException($"--sweep {key.Path} lists '{value}' twice; each value once.");
            }

            CheckAgainstDefaults(new ConfigOverride(key, value));
            values.Add(value);
        }

        return new SweepAxis(key, values);
    }

    private static void CheckAgainstDefaults(ConfigOverride value)
    {
        try
        {
            ConfigWithOverrides.Parse(DryWetConfig.Default.ToYaml(), [value], "the default config");
        }
        catch (DryWetException ex)
        {
            throw new DryWetException($"--sweep {value}: {ex.Message}", ex);
        }
    }
}

using Microsoft.Extensions.Configuration;

namespace DryWet.AppHost.Extensions;

/// <summary>
/// The AppHost's own settings under <c>DryWet:</c>. A misspelt key (<c>DryWet:SampleData:Cuont</c>) would otherwise be
/// ignored and the default used without a word; here it stops the AppHost with the key and the nearest valid one.
/// <c>DryWet:Kubernetes</c> is checked by its own binder (publishing); <c>DryWet:Weights:Files</c> takes architectures.
/// </summary>
public static class DryWetSettings
{
    /// <summary>Known keys per section; null = a section whose children are free-form or validated elsewhere.</summary>
    private static readonly Dictionary<string, string[]?> Known = new(StringComparer.OrdinalIgnoreCase)
    {
        ["DryWet"] = ["Mode", "Home", "Trainer", "Watcher", "SampleData", "Weights", "Kubernetes"],
        ["DryWet:Watcher"] = ["Interval", "MinNewLabels"],
        ["DryWet:Trainer"] = ["Config", "Image"],
        ["DryWet:SampleData"] = ["Count", "Size"],
        ["DryWet:Weights"] = ["BaseUrl", "Files"],
        ["DryWet:Weights:Files"] = null,
        ["DryWet:Kubernetes"] = null,
    };

    /// <exception cref="InvalidOperationException">An unknown key, naming it and the nearest valid key.</exception>
    public static void Validate(IConfiguration configuration)
    {
        var errors = new List<string>();
        Check(configuration.GetSection("DryWet"), errors);
        if (errors.Count > 0)
        {
            throw new InvalidOperationException("DryWet settings are invalid:" + Environment.NewLine + "  - " + string.Join(Environment.NewLine + "  - ", errors));
        }
    }

    private static void Check(IConfigurationSection section, List<string> errors)
    {
        if (!Known.TryGetValue(section.Path, out var keys) || keys is null)
        {
            return;
        }

        foreach (var child in section.GetChildren())
        {
            var match = keys.FirstOrDefault(k => string.Equals(k, child.Key, StringComparison.OrdinalIgnoreCase));
            if (match is null)
            {
                var nearest = keys.OrderBy(k => EditDistance(k.ToLowerInvariant(), child.Key.ToLowerInvariant())).First();
                errors.Add(EditDistance(nearest.ToLowerInvariant(), child.Key.ToLowerInvariant()) <= Math.Max(2, nearest.Length / 3)
                    ? $"{child.Path}: unknown setting (did you mean '{section.Path}:{nearest}'?)"
                    : $"{child.Path}: unknown setting (valid here: {string.Join(", ", keys)})");
                continue;
            }

            Check(child, errors);
        }
    }

    private static int EditDistance(string a, string b)
    {
        var d = new int[a.Length + 1, b.Length + 1];
        for (var i = 0; i <= a.Length; i++) d[i, 0] = i;
        for (var j = 0; j <= b.Length; j++) d[0, j] = j;
        for (var i = 1; i <= a.Length; i++)
        {
            for (var j = 1; j <= b.Length; j++)
            {
                d[i, j] = Math.Min(Math.Min(d[i - 1, j] + 1, d[i, j - 1] + 1), d[i - 1, j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1));
            }
        }

        return d[a.Length, b.Length];
    }
}

using System.Globalization;
using DryWet.TrainingWorker.Data;

namespace DryWet.TrainingWorker.Training;

/// <summary>
/// The accuracy of always answering the most common validation class: a model that does not beat it has learned
/// nothing, and must not become Production without saying so.
/// </summary>
public sealed record MajorityBaseline(string Class, double Share)
{
    /// <summary>Run tag and version tag carrying the warning.</summary>
    public const string WarningTag = "drywet.warning";

    public static MajorityBaseline Of(IReadOnlyList<LabeledImage> validation, IReadOnlyList<string> classes)
    {
        if (validation.Count == 0)
        {
            return new MajorityBaseline(classes.Count > 0 ? classes[0] : "", 0);
        }

        var top = validation.GroupBy(i => i.Label).OrderByDescending(g => g.Count()).ThenBy(g => g.Key).First();
        return new MajorityBaseline(classes[top.Key], (double)top.Count() / validation.Count);
    }

    /// <summary>Strictly better than the baseline (ties lose: 0.5 on a balanced pair is a coin).</summary>
    public bool IsBeatenBy(double accuracy) => accuracy > Share + 1e-9;

    public string Warning(double accuracy) => string.Create(CultureInfo.InvariantCulture,
        $"validation accuracy {accuracy:F4} is no better than always answering '{Class}' ({Share:F4})");
}

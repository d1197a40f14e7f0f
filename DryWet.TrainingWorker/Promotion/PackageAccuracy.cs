using System.Globalization;

namespace DryWet.TrainingWorker.Promotion;

/// <summary>How a model package did on an <see cref="EvaluationSet"/>: overall and per true class (recall).</summary>
public sealed record PackageAccuracy(double Overall, IReadOnlyDictionary<string, double> PerClass, int Images)
{
    public override string ToString() => string.Create(CultureInfo.InvariantCulture,
        $"{Overall:F4} ({string.Join(", ", PerClass.Select(c => $"{c.Key} {c.Value:F4}"))})");
}

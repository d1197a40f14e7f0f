using System.Globalization;
using System.Text;

namespace DryWet.TrainingWorker.Training;

/// <summary>
/// Per-class precision, recall, F1 and support plus accuracy, macro and weighted averages, laid out like sklearn's
/// <c>classification_report</c>; and the confusion matrix (rows = true class, columns = predicted class).
/// </summary>
public sealed class ClassificationReport
{
    public ClassificationReport(IReadOnlyList<string> classes, IReadOnlyList<int> truth, IReadOnlyList<int> predicted)
    {
        if (truth.Count != predicted.Count)
        {
            throw new ArgumentException("truth and predictions differ in length");
        }

        Classes = classes;
        Matrix = new int[classes.Count, classes.Count];
        for (var i = 0; i < truth.Count; i++)
        {
            Matrix[truth[i], predicted[i]]++;
        }

        Total = truth.Count;
    }

    public IReadOnlyList<string> Classes { get; }
    public int[,] Matrix { get; }
    public int Total { get; }

    public int Support(int c) => Enumerable.Range(0, Classes.Count).Sum(p => Matrix[c, p]);

    public double Precision(int c)
    {
        var predicted = Enumerable.Range(0, Classes.Count).Sum(t => Matrix[t, c]);
        return predicted == 0 ? 0 : (double)Matrix[c, c] / predicted;
    }

    public double Recall(int c) => Support(c) == 0 ? 0 : (double)Matrix[c, c] / Support(c);

    public double F1(int c)
    {
        var (p, r) = (Precision(c), Recall(c));
        return p + r == 0 ? 0 : 2 * p * r / (p + r);
    }

    public double Accuracy => Total == 0 ? 0 : Enumerable.Range(0, Classes.Count).Sum(c => Matrix[c, c]) / (double)Total;

    /// <summary>sklearn's text layout (digits = 4, as the original's MLflow artifact would be read by people).</summary>
    public string ToText()
    {
        var width = Math.Max(12, Classes.Max(c => c.Length));
        var sb = new StringBuilder();
        string Row(string name, double p, double r, double f, int support) => string.Format(CultureInfo.InvariantCulture,
            "{0}{1,10:F4}{2,10:F4}{3,10:F4}{4,10}", name.PadLeft(width), p, r, f, support);

        sb.AppendLine($"{"".PadLeft(width)}{"precision",10}{"recall",10}{"f1-score",10}{"support",10}");
        sb.AppendLine();
        for (var c = 0; c < Classes.Count; c++)
        {
            sb.AppendLine(Row(Classes[c], Precision(c), Recall(c), F1(c), Support(c)));
        }

        sb.AppendLine();
        sb.AppendLine(string.Format(CultureInfo.InvariantCulture, "{0}{1,10}{2,10}{3,10:F4}{4,10}", "accuracy".PadLeft(width), "", "", Accuracy, Total));
        var n = Classes.Count;
        var all = Enumerable.Range(0, n).ToArray();
        sb.AppendLine(Row("macro avg", all.Average(Precision), all.Average(Recall), all.Average(F1), Total));
        double Weighted(Func<int, double> metric) => Total == 0 ? 0 : all.Sum(c => metric(c) * Support(c)) / Total;
        sb.AppendLine(Row("weighted avg", Weighted(Precision), Weighted(Recall), Weighted(F1), Total));
        return sb.ToString();
    }

    /// <summary>The matrix with class names on both axes.</summary>
    public string ConfusionMatrixText()
    {
        var width = Math.Max(8, Classes.Max(c => c.Length) + 2);
        var sb = new StringBuilder();
        sb.AppendLine("rows: true class, columns: predicted class");
        sb.Append("".PadLeft(width));
        foreach (var c in Classes)
        {
            sb.Append(c.PadLeft(width));
        }

        sb.AppendLine();
        for (var t = 0; t < Classes.Count; t++)
        {
            sb.Append(Classes[t].PadLeft(width));
            for (var p = 0; p < Classes.Count; p++)
            {
                sb.Append(Matrix[t, p].ToString(CultureInfo.InvariantCulture).PadLeft(width));
            }

            sb.AppendLine();
        }

        return sb.ToString();
    }
}

using System.Globalization;
using System.Text;
using DryWet.Core.Tracking;

namespace DryWet.Web.Models;

/// <summary>Per-epoch loss and accuracy of a run, drawn as inline SVG on the server (no chart library, no script).</summary>
public sealed record LearningCurves(IReadOnlyList<CurveSeries> Loss, IReadOnlyList<CurveSeries> Accuracy)
{
    private const int Width = 320, Height = 160, Pad = 28;

    /// <summary>From the trainer's metric names (<c>train_loss</c>, <c>val_loss</c>, <c>train_acc</c>, <c>val_acc</c>); null without any.</summary>
    public static LearningCurves? From(TrackedRunSnapshot run)
    {
        IReadOnlyList<CurveSeries> Pick(params string[] keys) => keys
            .Where(k => run.Metrics.TryGetValue(k, out var points) && points.Count > 0)
            .Select(k => new CurveSeries(k, run.Metrics[k].OrderBy(p => p.Step).Select(p => (p.Step, p.Value)).ToList()))
            .ToList();

        var loss = Pick("train_loss", "val_loss");
        var accuracy = Pick("train_acc", "val_acc");
        return loss.Count + accuracy.Count == 0 ? null : new LearningCurves(loss, accuracy);
    }

    /// <summary>An accessible SVG: role img, a title, one polyline per series (train solid, validation dashed).</summary>
    public static string Svg(string title, IReadOnlyList<CurveSeries> series)
    {
        var points = series.SelectMany(s => s.Points).ToList();
        if (points.Count == 0)
        {
            return "";
        }

        double minX = points.Min(p => p.Step), maxX = Math.Max(points.Max(p => p.Step), minX + 1);
        double minY = Math.Min(0, points.Min(p => p.Value)), maxY = Math.Max(points.Max(p => p.Value), minY + 1e-9);
        string X(double x) => (Pad + (x - minX) / (maxX - minX) * (Width - 2 * Pad)).ToString("F1", CultureInfo.InvariantCulture);
        string Y(double y) => (Height - Pad - (y - minY) / (maxY - minY) * (Height - 2 * Pad)).ToString("F1", CultureInfo.InvariantCulture);

        var svg = new StringBuilder();
        svg.Append(CultureInfo.InvariantCulture, $"<svg viewBox=\"0 0 {Width} {Height}\" role=\"img\" aria-labelledby=\"t-{title}\" class=\"curve\">");
        svg.Append(CultureInfo.InvariantCulture, $"<title id=\"t-{title}\">{title}: {string.Join("; ", series.Select(s => $"{s.Key} from {s.Points[0].Value:F3} to {s.Points[^1].Value:F3} over {s.Points.Count} epochs"))}</title>");
        svg.Append(CultureInfo.InvariantCulture, $"<line x1=\"{Pad}\" y1=\"{Height - Pad}\" x2=\"{Width - Pad}\" y2=\"{Height - Pad}\" class=\"axis\"/>");
        svg.Append(CultureInfo.InvariantCulture, $"<line x1=\"{Pad}\" y1=\"{Pad}\" x2=\"{Pad}\" y2=\"{Height - Pad}\" class=\"axis\"/>");
        svg.Append(CultureInfo.InvariantCulture, $"<text x=\"2\" y=\"{Pad}\" class=\"tick\">{maxY:0.##}</text><text x=\"2\" y=\"{Height - Pad}\" class=\"tick\">{minY:0.##}</text>");
        svg.Append(CultureInfo.InvariantCulture, $"<text x=\"{Width - Pad}\" y=\"{Height - 8}\" class=\"tick\" text-anchor=\"end\">epoch {maxX:0}</text>");
        foreach (var s in series)
        {
            var line = string.Join(' ', s.Points.Select(p => $"{X(p.Step)},{Y(p.Value)}"));
            svg.Append(CultureInfo.InvariantCulture, $"<polyline points=\"{line}\" class=\"{(s.Key.StartsWith("val", StringComparison.Ordinal) ? "val" : "train")}\"/>");
        }

        svg.Append("</svg>");
        return svg.ToString();
    }
}

/// <summary>One metric over epochs.</summary>
public sealed record CurveSeries(string Key, IReadOnlyList<(long Step, double Value)> Points);

using System.Globalization;
using System.Net;
using System.Text;

namespace DryWet.TrainingWorker.Training;

/// <summary>
/// The confusion matrix as an SVG picture (rows = true class, columns = predicted; each cell's shade is its share of
/// the row, the count written in it), for people who would rather look than read: it goes into the model package and
/// the run's artifacts next to <c>confusion_matrix.txt</c>, and the web page shows it.
/// </summary>
public static class ConfusionMatrixPicture
{
    public const string FileName = "confusion_matrix.svg";
    private const int Cell = 64;
    private const int Label = 72;

    public static string ToSvg(ClassificationReport report)
    {
        ArgumentNullException.ThrowIfNull(report);
        var n = report.Classes.Count;
        var size = Label + n * Cell;
        var width = Math.Max(size + 8, 340); // room for the caption under a 2×2 matrix
        var svg = new StringBuilder();
        string F(double v) => v.ToString("0.##", CultureInfo.InvariantCulture);
        svg.Append(CultureInfo.InvariantCulture, $"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{width}\" height=\"{size + 24}\" viewBox=\"0 0 {width} {size + 24}\" font-family=\"sans-serif\" font-size=\"13\" role=\"img\">");
        svg.Append(CultureInfo.InvariantCulture, $"<title>Confusion matrix: rows are the true class, columns the predicted class ({report.Total} validation images, accuracy {F(report.Accuracy * 100)} %)</title>");
        svg.Append(CultureInfo.InvariantCulture, $"<text x=\"{Label + n * Cell / 2}\" y=\"14\" text-anchor=\"middle\" fill=\"#333\">predicted</text>");
        for (var c = 0; c < n; c++)
        {
            var name = WebUtility.HtmlEncode(report.Classes[c]);
            svg.Append(CultureInfo.InvariantCulture, $"<text x=\"{Label + c * Cell + Cell / 2}\" y=\"{Label - 8}\" text-anchor=\"middle\">{name}</text>");
            svg.Append(CultureInfo.InvariantCulture, $"<text x=\"{Label - 8}\" y=\"{Label + c * Cell + Cell / 2 + 5}\" text-anchor=\"end\">{name}</text>");
        }

        for (var t = 0; t < n; t++)
        {
            var support = report.Support(t);
            for (var p = 0; p < n; p++)
            {
                var count = report.Matrix[t, p];
                var share = support == 0 ? 0 : (double)count / support;
                // Blue for the diagonal (right), orange off it (wrong); light when rare, dark when common.
                var (r, g, b) = t == p ? (30, 90, 180) : (200, 90, 20);
                var x = Label + p * Cell;
                var y = Label + t * Cell;
                svg.Append(CultureInfo.InvariantCulture, $"<rect x=\"{x}\" y=\"{y}\" width=\"{Cell - 2}\" height=\"{Cell - 2}\" fill=\"rgb({r},{g},{b})\" fill-opacity=\"{F(0.08 + 0.92 * share)}\"/>");
                svg.Append(CultureInfo.InvariantCulture, $"<text x=\"{x + Cell / 2 - 1}\" y=\"{y + Cell / 2 + 5}\" text-anchor=\"middle\" fill=\"{(share > 0.5 ? "#fff" : "#111")}\" font-weight=\"bold\">{count}</text>");
            }
        }

        svg.Append(CultureInfo.InvariantCulture, $"<text x=\"4\" y=\"{size + 18}\" fill=\"#333\">rows: true class · {report.Total} images · accuracy {F(report.Accuracy * 100)} %</text>");
        svg.Append("</svg>");
        return svg.ToString();
    }
}

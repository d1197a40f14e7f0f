using System.Globalization;
using ScottPlot;

namespace DryWet.TrainingWorker.Training;

/// <summary>
/// The run's pictures as PNG, drawn with ScottPlot (headless, on the SkiaSharp natives DryWet.Core ships), the way a
/// Python run logs matplotlib figures: <c>learning_curves.png</c> (loss and accuracy, train and validation, per epoch)
/// and <c>confusion_matrix.png</c> (rows = true class, shade = share of the row, count in each cell). MLflow's
/// artifact view shows PNGs inline; the SVG next to them stays for the web page.
/// </summary>
public static class RunCharts
{
    public const string LearningCurvesFile = "learning_curves.png";
    public const string ConfusionMatrixFile = "confusion_matrix.png";
    public const int LearningCurvesWidth = 1200;
    public const int LearningCurvesHeight = 450;
    public const int ConfusionMatrixWidth = 600;
    public const int ConfusionMatrixHeight = 520;

    public static void WriteLearningCurves(IReadOnlyList<EpochMetrics> history, string path)
    {
        if (history.Count == 0)
        {
            throw new ArgumentException("There are no epochs to draw learning curves from.", nameof(history));
        }

        var multiplot = new Multiplot();
        multiplot.AddPlots(2);
        multiplot.Layout = new ScottPlot.MultiplotLayouts.Columns();
        double[] epochs = [.. history.Select(m => (double)m.Epoch)];
        Curves(multiplot.GetPlot(0), "Loss", epochs, [.. history.Select(m => m.TrainLoss)], [.. history.Select(m => m.ValLoss)]);
        var accuracy = multiplot.GetPlot(1);
        Curves(accuracy, "Accuracy", epochs, [.. history.Select(m => m.TrainAcc)], [.. history.Select(m => m.ValAcc)]);
        accuracy.Axes.SetLimitsY(0, 1.02);
        multiplot.SavePng(path, LearningCurvesWidth, LearningCurvesHeight);
    }

    public static void WriteConfusionMatrix(ClassificationReport report, string path)
    {
        var n = report.Classes.Count;
        var shares = new double[n, n];
        for (var t = 0; t < n; t++)
        {
            var support = report.Support(t);
            for (var p = 0; p < n; p++)
            {
                shares[t, p] = support == 0 ? 0 : (double)report.Matrix[t, p] / support;
            }
        }

        var plot = new Plot();
        var heatmap = plot.Add.Heatmap(shares);
        // Dark = common: Blues runs light to dark for low to high once reversed.
        heatmap.Colormap = new ScottPlot.Colormaps.Blues().Reversed();
        heatmap.ManualRange = new ScottPlot.Range(0, 1);
        for (var t = 0; t < n; t++)
        {
            for (var p = 0; p < n; p++)
            {
                // Heatmap row 0 is drawn at the top (y = n - 1).
                var label = plot.Add.Text(report.Matrix[t, p].ToString(CultureInfo.InvariantCulture), p, n - 1 - t);
                label.LabelFontSize = 26;
                label.LabelBold = true;
                label.LabelAlignment = Alignment.MiddleCenter;
                label.LabelFontColor = shares[t, p] > 0.5 ? Colors.White : Colors.Black;
            }
        }

        double[] positions = [.. Enumerable.Range(0, n).Select(i => (double)i)];
        plot.Axes.Bottom.SetTicks(positions, [.. report.Classes]);
        plot.Axes.Left.SetTicks([.. positions.Reverse()], [.. report.Classes]);
        plot.XLabel("predicted class");
        plot.YLabel("true class");
        plot.Title(string.Create(CultureInfo.InvariantCulture,
            $"Confusion matrix · {report.Total} validation images · accuracy {report.Accuracy * 100:0.#} %"));
        plot.Add.ColorBar(heatmap).Label = "share of the true class";
        plot.SavePng(path, ConfusionMatrixWidth, ConfusionMatrixHeight);
    }

    private static void Curves(Plot plot, string title, double[] epochs, double[] train, double[] validation)
    {
        plot.Add.Scatter(epochs, train).LegendText = "train";
        plot.Add.Scatter(epochs, validation).LegendText = "validation";
        plot.Title(title);
        plot.XLabel("epoch");
        plot.Axes.Bottom.TickGenerator = new ScottPlot.TickGenerators.NumericAutomatic { IntegerTicksOnly = true };
        plot.ShowLegend(Alignment.UpperRight);
    }
}

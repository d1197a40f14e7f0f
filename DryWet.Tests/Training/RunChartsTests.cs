using DryWet.TrainingWorker.Training;
using SkiaSharp;

namespace DryWet.Tests.Training;

/// <summary>The PNG run artifacts are real pictures: valid PNG, the promised size, and drawn content.</summary>
public sealed class RunChartsTests : IDisposable
{
    private readonly TempFolder _folder = new();

    public void Dispose() => _folder.Dispose();

    [Fact]
    public void Learning_curves_are_a_1200_by_450_PNG_with_both_curves_drawn()
    {
        var history = Enumerable.Range(1, 6).Select(e => new EpochMetrics(e, 1.0 / e, 0.5 + e * 0.07, 1.2 / e, 0.45 + e * 0.06, 1e-3, 100, 0.1,
            TimeSpan.FromSeconds(1))).ToList();
        var path = Path.Combine(_folder.Path, RunCharts.LearningCurvesFile);

        RunCharts.WriteLearningCurves(history, path);

        using var bitmap = DecodePng(path);
        bitmap.Width.ShouldBe(RunCharts.LearningCurvesWidth);
        bitmap.Height.ShouldBe(RunCharts.LearningCurvesHeight);
        // Two series colours (blue train, orange validation) besides the white background and grey/black axes.
        CountPixels(bitmap, c => c.Blue > 150 && c.Red < 100).ShouldBeGreaterThan(500);
        CountPixels(bitmap, c => c.Red > 200 && c.Green is > 100 and < 180 && c.Blue < 80).ShouldBeGreaterThan(500);
    }

    [Fact]
    public void The_confusion_matrix_is_a_600_by_520_PNG_whose_diagonal_is_darker_than_its_errors()
    {
        var truth = Enumerable.Repeat(0, 20).Concat(Enumerable.Repeat(1, 20)).ToList();
        var predicted = truth.Select((t, i) => i % 10 == 0 ? 1 - t : t).ToList();
        var report = new ClassificationReport(["dry", "wet"], truth, predicted);
        var path = Path.Combine(_folder.Path, RunCharts.ConfusionMatrixFile);

        RunCharts.WriteConfusionMatrix(report, path);

        using var bitmap = DecodePng(path);
        bitmap.Width.ShouldBe(RunCharts.ConfusionMatrixWidth);
        bitmap.Height.ShouldBe(RunCharts.ConfusionMatrixHeight);
        var distinct = new HashSet<SKColor>();
        for (var y = 0; y < bitmap.Height; y += 3)
        {
            for (var x = 0; x < bitmap.Width; x += 3)
            {
                distinct.Add(bitmap.GetPixel(x, y));
            }
        }

        distinct.Count.ShouldBeGreaterThan(20, "a colour scale, labels and cells, not a blank image");
        // 90 % right: dark blue cells dominate the diagonal, light ones the errors.
        CountPixels(bitmap, c => c.Blue > 80 && c.Red < 60 && c.Green < 100).ShouldBeGreaterThan(5000);
    }

    [Fact]
    public void Learning_curves_without_epochs_are_refused()
    {
        Should.Throw<ArgumentException>(() => RunCharts.WriteLearningCurves([], Path.Combine(_folder.Path, "x.png")))
            .Message.ShouldContain("no epochs");
    }

    private static SKBitmap DecodePng(string path)
    {
        var bytes = File.ReadAllBytes(path);
        bytes.Take(8).ShouldBe(new byte[] { 0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A }, "PNG signature");
        using var codec = SKCodec.Create(new MemoryStream(bytes));
        codec.EncodedFormat.ShouldBe(SKEncodedImageFormat.Png);
        return SKBitmap.Decode(bytes);
    }

    private static int CountPixels(SKBitmap bitmap, Func<SKColor, bool> match)
    {
        var count = 0;
        for (var y = 0; y < bitmap.Height; y++)
        {
            for (var x = 0; x < bitmap.Width; x++)
            {
                if (match(bitmap.GetPixel(x, y)))
                {
                    count++;
                }
            }
        }

        return count;
    }
}

using System.Net;
using DryWet.Core.Imaging;
using DryWet.Serving.Telemetry;
using SkiaSharp;

namespace DryWet.Tests.Serving;

/// <summary>The drift metrics on /metrics: class share and confidence per model version, and the inputs' mean brightness.</summary>
public sealed class DriftMetricsTests
{
    [Fact]
    public async Task Predictions_export_class_counts_confidence_and_input_brightness_per_model_version()
    {
        await using var server = await PredictionLogServer.StartAsync(new Dictionary<string, string?>(), version: "drift");
        var white = TestImages.Solid(SKColors.White, size: 32);
        var black = TestImages.Solid(SKColors.Black, size: 32);
        var wet = TestImages.Road(wet: true);

        var confidences = new List<double>();
        foreach (var image in new[] { white, black, wet })
        {
            var (status, body) = await server.PredictAsync(image);
            status.ShouldBe(HttpStatusCode.OK);
            confidences.Add(body.GetProperty("probabilities").GetProperty(body.GetProperty("prediction").GetString()!).GetDouble());
        }

        // A refused input is not a prediction: it moves none of these.
        (await server.PredictAsync([0xFF, 0xD8, 0xFF])).Status.ShouldBe(HttpStatusCode.UnprocessableEntity);

        await server.WaitForMetricAsync("drywet_input_brightness_count", "model_version=\"drift\"", 3);
        (await server.MetricAsync("drywet_input_brightness_count", "model_version=\"drift\"")).ShouldBe(3);
        // White 1, black 0, the blue road somewhere between: the sum is 1 + the road's luma.
        var brightnessSum = await server.MetricAsync("drywet_input_brightness_sum", "model_version=\"drift\"");
        brightnessSum.ShouldBeInRange(1.2, 1.6);
        (await server.MetricAsync("drywet_input_brightness_bucket", "model_version=\"drift\",le=\"0.1\"")).ShouldBe(1, "the black image");
        (await server.MetricAsync("drywet_prediction_confidence_count", "model_version=\"drift\"")).ShouldBe(3);
        (await server.MetricAsync("drywet_prediction_confidence_sum", "model_version=\"drift\"")).ShouldBe(confidences.Sum(), 1e-4);
        (await server.MetricAsync("drywet_predictions_total", "class=\"wet\",model_version=\"drift\"")).ShouldBe(1);
        (await server.MetricAsync("drywet_predictions_total", "model_version=\"drift\"")).ShouldBe(3);
    }

    [Theory]
    [InlineData(0, 0, 0, 0.0)]
    [InlineData(255, 255, 255, 1.0)]
    [InlineData(128, 128, 128, 128 / 255.0)]
    [InlineData(255, 0, 0, 0.299)]
    [InlineData(0, 0, 255, 0.114)]
    public void Brightness_is_the_mean_luma_read_back_from_the_normalized_tensor(byte r, byte g, byte b, double expected)
    {
        var preprocessor = new ImagePreprocessor(new PreprocessorOptions { Width = 20, Height = 12 });
        var tensor = preprocessor.Preprocess(TestImages.Solid(new SKColor(r, g, b), size: 40));

        InputBrightness.Of(tensor, preprocessor.Options.Mean, preprocessor.Options.Std).ShouldBe(expected, 0.01);
    }
}

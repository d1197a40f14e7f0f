using System.Text.Json;
using DryWet.Core.Configuration;
using DryWet.Core.Imaging;
using DryWet.Core.Packaging;
using DryWet.Core.Registry;
using DryWet.Tests.Registry;
using DryWet.Tests.Serving;
using DryWet.Tests.Storage;
using DryWet.Tests.Tracking;
using DryWet.Tests.Training;
using DryWet.TrainingWorker.Export;
using DryWet.TrainingWorker.Promotion;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace DryWet.Tests.Promotion;

/// <summary>
/// The gate evaluates a challenger's INT8 graph as served on the same images as its fp32 graph, records both, and
/// vouches for INT8 only within <c>evaluation.max_quantization_drop</c>; serving's <c>Model:Precision auto</c> follows
/// the verdict recorded on the registry version. Models: "wet when blue outweighs red", its real QDQ quantization,
/// and, standing in for a quantization that lost accuracy, its inverse shipped as model.int8.onnx.
/// </summary>
public sealed class QuantizationGateTests : IDisposable
{
    private const string Model = "dry_wet_model";
    private readonly string _home = TestFolders.NewTempDirectory("int8-gate");

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_quantized_graph_within_the_drop_is_vouched_recorded_and_served_by_auto()
    {
        var evaluation = Images(dry: 3, wet: 3);
        using (var platform = PlatformHost.Build(_home))
        {
            var registry = platform.Services.GetRequiredService<IModelRegistry>();
            var v1 = await RegisterAsync(platform, await QuantizedBlueVersusRedAsync(evaluation));
            var package = await DownloadAsync(registry, v1);
            var decision = await new PromotionGate(registry, new CollectingProgress())
                .ApplyAsync(Model, v1, package, evaluation, PromotionPolicy.Auto, new(), Work(), Ct);

            decision.Outcome.ShouldBe(PromotionOutcome.First);
            decision.Int8.ShouldNotBeNull();
            (decision.Int8.Fp32.Overall, decision.Int8.Int8.Overall).ShouldBe((1.0, 1.0));
            decision.Int8.Vouched.ShouldBeTrue();
            decision.Metrics()["challenger_int8_accuracy"].ShouldBe(1.0);
            decision.Metrics()["challenger_int8_drop"].ShouldBe(0.0);
            ModelPackage.Load(package).Int8Gate.ShouldBe(Int8Verdict.Vouched, "the judged package's MLmodel says so");
            var tags = (await registry.ResolveAsync(Model, cancellationToken: Ct))!.Tags;
            tags[Int8Verdict.Tag].ShouldBe(Int8Verdict.Vouched);
            tags[Int8Verdict.ReasonTag].ShouldBe("INT8 1.0000 vs fp32 1.0000 on 6 images: drop 0.0000 within evaluation.max_quantization_drop 0.0050");
        }

        // auto also needs INT8 to be faster here: injected run times (INT8 twice as fast) stand in for timing.
        var timer = new FakeBatchTimer(int8MsPerImage: 10, fp32MsPerImage: 20);
        var (app, client) = await ServingApp.StartAsync(new Dictionary<string, string?> { ["DryWet:Home"] = _home }, services: timer.Register);
        await using var _ = app;
        var info = await InfoAsync(client);
        info.GetProperty("precision").GetString().ShouldBe("int8");
        info.GetProperty("precision_reason").GetString().ShouldBe(
            "auto: INT8 vouched for by the promotion gate and 2.00x fp32 on this machine (100.0 vs 50.0 img/s at batch 1): serving int8");
        (await RegistryTestModels.PredictAsync(client, wet: true)).ShouldBe("wet");
        (await RegistryTestModels.PredictAsync(client, wet: false)).ShouldBe("dry");
    }

    [Fact]
    public async Task An_int8_graph_beyond_the_drop_is_refused_while_fp32_is_promoted_and_served()
    {
        var evaluation = Images(dry: 3, wet: 2);
        using (var platform = PlatformHost.Build(_home))
        {
            var registry = platform.Services.GetRequiredService<IModelRegistry>();
            var v1 = await RegisterAsync(platform, TestModels.BlueVersusRed(k: -4f));
            var package = await DownloadAsync(registry, v1);
            var progress = new CollectingProgress();
            var decision = await new PromotionGate(registry, progress)
                .ApplyAsync(Model, v1, package, evaluation, PromotionPolicy.Auto, new(), Work(), Ct);

            decision.Outcome.ShouldBe(PromotionOutcome.First, "INT8 decides which graph may serve, not whether the model is promoted");
            decision.Int8!.Vouched.ShouldBeFalse();
            (decision.Int8.Fp32.Overall, decision.Int8.Int8.Overall, decision.Int8.Drop).ShouldBe((1.0, 0.0, 1.0));
            decision.Summary.ShouldContain("INT8 refused: INT8 0.0000 vs fp32 1.0000 on 5 images: drop 1.0000 beyond evaluation.max_quantization_drop 0.0050");
            ModelPackage.Load(package).Int8Gate.ShouldBe(Int8Verdict.Refused);
            (await registry.ResolveAsync(Model, cancellationToken: Ct))!.Tags[Int8Verdict.Tag].ShouldBe(Int8Verdict.Refused);
        }

        var (app, client) = await ServingApp.StartAsync(new Dictionary<string, string?> { ["DryWet:Home"] = _home });
        await using var _ = app;
        var info = await InfoAsync(client);
        info.GetProperty("precision").GetString().ShouldBe("fp32");
        info.GetProperty("precision_reason").GetString()!.ShouldContain("refused by the promotion gate");
        (await RegistryTestModels.PredictAsync(client, wet: true)).ShouldBe("wet");
    }

    [Fact]
    public async Task A_challenger_without_an_int8_graph_records_no_verdict()
    {
        using var platform = PlatformHost.Build(_home);
        var registry = platform.Services.GetRequiredService<IModelRegistry>();
        var v1 = await RegistryTestModels.LogAndRegisterAsync(platform, Path.Combine(_home, "packages"), 4f);
        var decision = await new PromotionGate(registry, new CollectingProgress())
            .ApplyAsync(Model, v1, await DownloadAsync(registry, v1), Images(2, 2), PromotionPolicy.Auto, new(), Work(), Ct);

        decision.Int8.ShouldBeNull();
        decision.Tags().ShouldNotContainKey(Int8Verdict.Tag);
        decision.Metrics().ShouldNotContainKey("challenger_int8_accuracy");
    }

    [Theory]
    [InlineData(0.9000, 0.8960, 0.005, true)]
    [InlineData(0.9000, 0.8950, 0.005, true)] // exactly the limit
    [InlineData(0.9000, 0.8940, 0.005, false)]
    [InlineData(0.9000, 0.9100, 0.0, true)] // INT8 better: a negative drop
    [InlineData(0.9000, 0.8000, 0.1, true)]
    public void The_limit_is_evaluation_max_quantization_drop(double fp32, double int8, double maxDrop, bool vouched)
    {
        var check = new QuantizationCheck(Accuracy(fp32), Accuracy(int8), maxDrop);
        check.Vouched.ShouldBe(vouched);
        check.Verdict.ShouldBe(vouched ? "vouched" : "refused");
        DryWetConfig.Default.Evaluation.MaxQuantizationDrop.ShouldBe(0.005, "the default is half a point");
    }

    private static PackageAccuracy Accuracy(double overall) => new(overall, new Dictionary<string, double>(), 1000);

    /// <summary>The fp32 test model's real QDQ quantization, calibrated on the evaluation images as served.</summary>
    private async Task<byte[]> QuantizedBlueVersusRedAsync(EvaluationSet evaluation)
    {
        var fp32 = TestModels.BlueVersusRed(k: 4f);
        var reference = TestModels.WritePackage(Path.Combine(_home, "reference"), fp32, imgSize: 24);
        var preprocessor = new ImagePreprocessor(PreprocessorOptions.FromConfig(ModelPackage.Load(reference).Config, 24, 24));
        var int8Path = Path.Combine(_home, "int8.onnx");
        await QuantizedExport.WriteAsync(Path.Combine(reference, ModelPackage.DefaultOnnxFile), int8Path,
            evaluation.Images.Select(i => preprocessor.Preprocess(File.ReadAllBytes(i.Path))), 24, 24, Ct);
        return await File.ReadAllBytesAsync(int8Path, Ct);
    }

    private async Task<ModelVersion> RegisterAsync(IHost platform, byte[] int8) =>
        await RegistryTestModels.LogAndRegisterAsync(platform, Path.Combine(_home, "packages"), 4f, int8: int8);

    private async Task<string> DownloadAsync(IModelRegistry registry, ModelVersion version)
    {
        var folder = Path.Combine(_home, "downloads", Guid.NewGuid().ToString("N")[..8]);
        await registry.DownloadAsync(version, folder, Ct);
        return folder;
    }

    private static async Task<JsonElement> InfoAsync(HttpClient client) =>
        JsonDocument.Parse(await client.GetStringAsync("/model/info", Ct)).RootElement.Clone();

    private string Work() => Path.Combine(_home, "work", Guid.NewGuid().ToString("N")[..8]);

    private EvaluationSet Images(int dry, int wet)
    {
        var folder = Path.Combine(_home, "eval", Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(folder);
        var images = new List<EvaluatedImage>();
        for (var i = 0; i < dry + wet; i++)
        {
            var path = Path.Combine(folder, $"{i}.jpg");
            File.WriteAllBytes(path, TestImages.Road(wet: i >= dry, width: 40 + i, height: 30 + i));
            images.Add(new EvaluatedImage(path, i >= dry ? "wet" : "dry"));
        }

        return EvaluationSet.Of(images, $"{dry} dry + {wet} wet test images");
    }

    public void Dispose() => TestFolders.DeleteQuietly(_home);
}

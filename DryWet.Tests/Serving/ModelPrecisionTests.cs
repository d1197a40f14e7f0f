using System.Text.Json;
using DryWet.Core;
using DryWet.Core.Packaging;
using DryWet.Serving.Inference;
using DryWet.Tests.Training;

namespace DryWet.Tests.Serving;

/// <summary>
/// <c>Model:Precision</c> picks the package's graph: auto = INT8 only when the gate vouched for it. The INT8 file in
/// these packages is the test model's inverse, so the answer itself shows which graph ran.
/// </summary>
public sealed class ModelPrecisionTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public static TheoryData<string?, string?, string?, string, string> Choices() => new()
    {
        // setting, MLmodel int8_gate, registry tag → precision, reason
        { "auto", "vouched", null, "int8", "auto: the INT8 graph is vouched for by the promotion gate" },
        { null, "vouched", null, "int8", "auto: the INT8 graph is vouched for by the promotion gate" },
        { "auto", "refused", null, "fp32", "auto: the INT8 graph is refused by the promotion gate (accuracy drop beyond evaluation.max_quantization_drop)" },
        { "auto", null, null, "fp32", "auto: the INT8 graph is not judged by any promotion gate" },
        { "AUTO", null, "vouched", "int8", "auto: the INT8 graph is vouched for by the promotion gate" },
        { "auto", "vouched", "refused", "fp32", "auto: the INT8 graph is refused by the promotion gate (accuracy drop beyond evaluation.max_quantization_drop)" },
        { "fp32", "vouched", null, "fp32", "Model:Precision = fp32" },
        { "int8", "refused", null, "int8", "Model:Precision = int8; the INT8 graph is refused by the promotion gate (accuracy drop beyond evaluation.max_quantization_drop)" },
        { " Int8 ", null, null, "int8", "Model:Precision = int8; the INT8 graph is not judged by any promotion gate" },
    };

    [Theory]
    [MemberData(nameof(Choices))]
    public async Task The_choice_follows_the_setting_and_the_gates_verdict(string? setting, string? gate, string? tag, string precision, string reason)
    {
        using var folder = new TempFolder();
        var package = await PackageAsync(folder, gate);
        var choice = PrecisionChoice.Resolve(setting, ModelPackage.Load(package), tag);
        (choice.Name, choice.Reason).ShouldBe((precision, reason));
        Path.GetFileName(choice.OnnxPath).ShouldBe(precision == "int8" ? "model.int8.onnx" : "model.onnx");
    }

    [Fact]
    public void Without_an_int8_graph_auto_serves_fp32_and_int8_is_refused_with_the_reason()
    {
        using var folder = new TempFolder();
        var package = ModelPackage.Load(TestModels.WritePackage(folder.Sub("pkg"), TestModels.BlueVersusRed(), imgSize: 24));
        PrecisionChoice.Resolve("auto", package, Int8Verdict.Vouched).Reason.ShouldBe("auto: the package has no INT8 graph");
        Should.Throw<DryWetException>(() => PrecisionChoice.Resolve("int8", package, null)).Message
            .ShouldContain("Model:Precision = int8, but the package");
        Should.Throw<DryWetException>(() => PrecisionChoice.Resolve("fp16", package, null)).Message
            .ShouldBe("Model:Precision = 'fp16' is not valid: use auto, fp32 or int8.");
    }

    [Fact]
    public async Task A_bad_verdict_in_MLmodel_is_an_error_naming_the_key()
    {
        using var folder = new TempFolder();
        var package = await PackageAsync(folder, "vouched");
        var mlmodel = Path.Combine(package, "MLmodel");
        await File.WriteAllTextAsync(mlmodel, (await File.ReadAllTextAsync(mlmodel, Ct)).Replace("int8_gate: vouched", "int8_gate: maybe"), Ct);
        Should.Throw<DryWetException>(() => ModelPackage.Load(package)).Message.ShouldContain("metadata.int8_gate = 'maybe' is not an INT8 verdict");
    }

    [Theory]
    [InlineData("auto", "vouched", "int8", "dry")]
    [InlineData("auto", "refused", "fp32", "wet")]
    [InlineData("fp32", "vouched", "fp32", "wet")]
    [InlineData("int8", null, "int8", "dry")]
    public async Task Serving_runs_the_chosen_graph_and_reports_it(string setting, string? gate, string precision, string answerForWet)
    {
        using var folder = new TempFolder();
        var package = await PackageAsync(folder, gate);
        var (app, client) = await ServingApp.StartAsync(new Dictionary<string, string?> { ["Model:Path"] = package, ["Model:Precision"] = setting });
        await using var _ = app;

        var info = JsonDocument.Parse(await client.GetStringAsync("/model/info", Ct)).RootElement;
        info.GetProperty("precision").GetString().ShouldBe(precision);
        using var response = await client.PostAsync("/predict", ServingApp.ImageForm(TestImages.Road(wet: true)), Ct);
        JsonDocument.Parse(await response.Content.ReadAsStringAsync(Ct)).RootElement.GetProperty("prediction").GetString().ShouldBe(answerForWet);
        var metrics = await client.GetStringAsync("/metrics", Ct);
        metrics.ShouldContain($"precision=\"{precision}\"");
    }

    /// <summary>A package whose model.int8.onnx is the inverse of model.onnx, with the gate's verdict when given.</summary>
    private static async Task<string> PackageAsync(TempFolder folder, string? gate)
    {
        var package = TestModels.WritePackage(folder.Sub("pkg"), TestModels.BlueVersusRed(k: 4f), imgSize: 24, int8: TestModels.BlueVersusRed(k: -4f));
        if (gate is not null)
        {
            await ModelPackage.SetInt8VerdictAsync(package, gate == Int8Verdict.Vouched, Ct);
        }

        return package;
    }
}

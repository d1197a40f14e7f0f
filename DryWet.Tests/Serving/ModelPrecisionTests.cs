using System.Text.Json;
using DryWet.Core;
using DryWet.Core.Packaging;
using DryWet.Serving.Inference;
using DryWet.Tests.Training;

namespace DryWet.Tests.Serving;

/// <summary>
/// <c>Model:Precision</c> picks the package's graph: auto = INT8 only when the gate vouched for it and it is clearly
/// faster than fp32 at load (run times injected by <see cref="FakeBatchTimer"/>: never timed here). The INT8 file in
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
        choice.NeedsSpeedCheck.ShouldBe(reason.StartsWith("auto: the INT8 graph is vouched", StringComparison.Ordinal),
            "auto with a vouched INT8 graph is settled by speed; every other choice is final");
    }

    [Theory]
    [InlineData(13.8, 1, 21.5, 1, "fp32", "auto: INT8 vouched for by the promotion gate but 0.64x fp32 on this machine (13.8 vs 21.5 img/s at batch 1; int8 needs 1.10x): serving fp32")]
    [InlineData(21.0, 4, 20.0, 4, "fp32", "auto: INT8 vouched for by the promotion gate but 1.05x fp32 on this machine (21.0 vs 20.0 img/s at batch 4; int8 needs 1.10x): serving fp32")]
    [InlineData(44.0, 8, 20.0, 4, "int8", "auto: INT8 vouched for by the promotion gate and 2.20x fp32 on this machine (44.0 img/s at batch 8 vs 20.0 img/s at batch 4): serving int8")]
    [InlineData(22.0, 2, 20.0, 2, "int8", "auto: INT8 vouched for by the promotion gate and 1.10x fp32 on this machine (22.0 vs 20.0 img/s at batch 2): serving int8")]
    public async Task The_speed_check_serves_int8_only_when_it_beats_fp32_by_the_margin_and_names_both_throughputs(
        double int8Rate, int int8Batch, double fp32Rate, int fp32Batch, string precision, string reason)
    {
        using var folder = new TempFolder();
        var package = ModelPackage.Load(await PackageAsync(folder, "vouched"));
        var candidate = PrecisionChoice.Resolve("auto", package, null);
        var choice = Int8SpeedCheck.Decide(candidate, package.OnnxPath, Plan(int8Batch, int8Rate), Plan(fp32Batch, fp32Rate));
        (choice.Name, choice.Reason).ShouldBe((precision, reason));
        choice.OnnxPath.ShouldBe(precision == "int8" ? package.Int8OnnxPath : package.OnnxPath);
        choice.NeedsSpeedCheck.ShouldBeFalse();
    }

    [Theory]
    [InlineData(20.0, 10.0, "fp32", "wet", "0.50x fp32 on this machine (50.0 vs 100.0 img/s at batch 1; int8 needs 1.10x): serving fp32")]
    [InlineData(10.0, 20.0, "int8", "dry", "2.00x fp32 on this machine (100.0 vs 50.0 img/s at batch 1): serving int8")]
    public async Task Auto_serves_the_vouched_int8_graph_only_when_its_load_time_throughput_is_higher(
        double int8Ms, double fp32Ms, string precision, string answerForWet, string reasonEnd)
    {
        using var folder = new TempFolder();
        var package = await PackageAsync(folder, "vouched");
        var timer = new FakeBatchTimer(int8Ms, fp32Ms);
        var (app, client) = await ServingApp.StartAsync(new Dictionary<string, string?> { ["Model:Path"] = package }, services: timer.Register);
        await using var _ = app;

        var info = JsonDocument.Parse(await client.GetStringAsync("/model/info", Ct)).RootElement;
        info.GetProperty("precision").GetString().ShouldBe(precision);
        info.GetProperty("precision_reason").GetString().ShouldBe(
            $"auto: INT8 vouched for by the promotion gate {(precision == "int8" ? "and" : "but")} {reasonEnd}");
        timer.Timed.Distinct().ShouldBe(["model.onnx", "model.int8.onnx"], "both graphs timed, fp32 first, each once per batch size");
        using var response = await client.PostAsync("/predict", ServingApp.ImageForm(TestImages.Road(wet: true)), Ct);
        JsonDocument.Parse(await response.Content.ReadAsStringAsync(Ct)).RootElement.GetProperty("prediction").GetString().ShouldBe(answerForWet);
        (await client.GetStringAsync("/metrics", Ct)).ShouldContain($"precision=\"{precision}\",precision_reason=\"auto: INT8 vouched");

        // A reload of the unchanged package reuses the decision and the tables: nothing is timed again.
        var timedBefore = timer.Timed.Count;
        using (var reload = await client.PostAsync("/model/reload", null, Ct))
        {
            reload.EnsureSuccessStatusCode();
        }

        JsonDocument.Parse(await client.GetStringAsync("/model/info", Ct)).RootElement.GetProperty("precision").GetString().ShouldBe(precision);
        timer.Timed.Count.ShouldBe(timedBefore);
    }

    [Theory]
    [InlineData("auto", "refused")]
    [InlineData("auto", null)]
    [InlineData("fp32", "vouched")]
    [InlineData("int8", "vouched")]
    public async Task Only_auto_with_a_vouched_int8_graph_compares_speeds(string setting, string? gate)
    {
        using var folder = new TempFolder();
        var timer = new FakeBatchTimer(int8MsPerImage: 10, fp32MsPerImage: 20);
        var (app, client, info) = await ServeAsync(folder, gate, setting, timer);
        await using var _ = app;

        var served = info.GetProperty("precision").GetString();
        info.GetProperty("precision_reason").GetString()!.ShouldNotContain("img/s");
        timer.Timed.Distinct().ShouldBe([served == "int8" ? "model.int8.onnx" : "model.onnx"], "only the served graph is timed (for its batch plan)");
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
    [InlineData("auto", "vouched", "int8", "dry")] // INT8 twice as fast here (injected run times)
    [InlineData("auto", "refused", "fp32", "wet")]
    [InlineData("fp32", "vouched", "fp32", "wet")]
    [InlineData("int8", null, "int8", "dry")]
    public async Task Serving_runs_the_chosen_graph_and_reports_it(string setting, string? gate, string precision, string answerForWet)
    {
        using var folder = new TempFolder();
        var timer = new FakeBatchTimer(int8MsPerImage: 10, fp32MsPerImage: 20);
        var (app, client, info) = await ServeAsync(folder, gate, setting, timer);
        await using var _ = app;

        info.GetProperty("precision").GetString().ShouldBe(precision);
        using var response = await client.PostAsync("/predict", ServingApp.ImageForm(TestImages.Road(wet: true)), Ct);
        JsonDocument.Parse(await response.Content.ReadAsStringAsync(Ct)).RootElement.GetProperty("prediction").GetString().ShouldBe(answerForWet);
        var metrics = await client.GetStringAsync("/metrics", Ct);
        metrics.ShouldContain($"precision=\"{precision}\"");
    }

    /// <summary>Serving with <see cref="PackageAsync"/>'s package at <c>Model:Precision</c> = <paramref name="setting"/>, run times from <paramref name="timer"/>; with its <c>/model/info</c>.</summary>
    private static async Task<(ServingApp App, HttpClient Client, JsonElement Info)> ServeAsync(TempFolder folder, string? gate, string setting, FakeBatchTimer timer)
    {
        var package = await PackageAsync(folder, gate);
        var (app, client) = await ServingApp.StartAsync(
            new Dictionary<string, string?> { ["Model:Path"] = package, ["Model:Precision"] = setting }, services: timer.Register);
        return (app, client, JsonDocument.Parse(await client.GetStringAsync("/model/info", Ct)).RootElement);
    }

    private static BatchPlan Plan(int batch, double imagesPerSecond) =>
        new(batch, TimeSpan.Zero, TimeSpan.FromSeconds(1), BatchPlanSources.Tuned, BatchPlanSources.Tuned, BatchPlanSources.Tuned, imagesPerSecond);

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

using System.Net;
using System.Text.Json;
using DryWet.Benchmarks.Serving;
using DryWet.Core.Packaging;
using DryWet.Tests.Training;
using Onnx;
using SkiaSharp;

namespace DryWet.Tests.Serving;

/// <summary>
/// The predict path's decisions: the package says whether its output is logits or probabilities (the row-sum guess is
/// only for foreign packages), a bad declaration is refused at load, and a 500 never carries exception text.
/// </summary>
public sealed class PredictPathTests : IDisposable
{
    private readonly TempFolder _folder = new();

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    // Logits (0.2, 0.8) whatever the image (k = 0): a row that happens to look like probabilities.
    private static byte[] ConstantLogits() => TestModels.BlueVersusRed(k: 0, bias: [0.2f, 0.8f]);

    [Fact]
    public async Task A_package_that_says_logits_gets_softmax_even_when_a_row_looks_like_probabilities()
    {
        var package = TestModels.WritePackage(_folder.Sub("logits"), ConstantLogits(), imgSize: 16, output: ModelOutputKind.Logits);
        File.ReadAllText(Path.Combine(package, "MLmodel")).ShouldContain("  output: logits\n");

        var wet = await PredictWetAsync(package);

        wet.ShouldBe(1 / (1 + Math.Exp(-(0.8 - 0.2))), 1e-5);
    }

    [Fact]
    public async Task A_foreign_package_that_says_nothing_is_judged_by_its_rows()
    {
        var package = TestModels.WriteForeignPackage(_folder.Sub("foreign"), ConstantLogits());

        (await PredictWetAsync(package)).ShouldBe(0.8, 1e-5); // non-negative, sums to 1: taken as probabilities
    }

    [Fact]
    public async Task A_package_that_says_probabilities_is_passed_through()
    {
        var package = TestModels.WritePackage(_folder.Sub("probabilities"), TestModels.BlueVersusRed(k: 2, probabilities: true), imgSize: 16,
            output: ModelOutputKind.Probabilities);
        File.ReadAllText(Path.Combine(package, "MLmodel")).ShouldContain("  output: probabilities\n");

        var wet = await PredictWetAsync(package, new SKColor(60, 100, 180));

        float Norm(byte v) => (v / 255f - 0.5f) / 0.25f;
        wet.ShouldBe(TestModels.WetProbability(2, Norm(60), Norm(180)), 1e-4);
    }

    [Fact]
    public async Task An_unknown_output_declaration_is_refused_at_load_naming_the_value()
    {
        var package = TestModels.WritePackage(_folder.Sub("bad"), ConstantLogits(), imgSize: 16);
        var mlmodel = Path.Combine(package, "MLmodel");
        File.WriteAllText(mlmodel, File.ReadAllText(mlmodel).Replace("  output: logits", "  output: softmax"));
        var (app, client) = await ServingApp.StartAsync(new Dictionary<string, string?> { ["Model:Path"] = package }, waitForModel: false);
        await using var _ = app;

        using var reload = await client.PostAsync("/model/reload", null, Ct);

        reload.StatusCode.ShouldBe(HttpStatusCode.InternalServerError);
        (await Json(reload)).GetProperty("reason").GetString()!.ShouldContain("metadata.output = 'softmax' is not valid: use 'logits' or 'probabilities'");
    }

    [Fact]
    public async Task An_inference_failure_answers_500_in_the_originals_shape_without_exception_text()
    {
        // Declares a dynamic batch but reshapes to batch 1: the smoke test (batch 1) passes, a batch of 4 fails in ONNX Runtime.
        var package = TestModels.WritePackage(_folder.Sub("batch-one"), BatchOfOneOnly(), imgSize: 16);
        var (app, client) = await ServingApp.StartAsync(new Dictionary<string, string?>
        {
            ["Model:Path"] = package,
            ["Model:MaxBatchDelayMilliseconds"] = "300", // the four requests below form one batch
            ["Model:MaxBatchSize"] = "8",
        });
        await using var _ = app;

        var responses = await Task.WhenAll(Enumerable.Range(0, 4).Select(_ =>
            client.PostAsync("/predict", ServingApp.ImageForm(TestImages.Road(wet: true)), Ct)));

        var failed = responses.Where(r => r.StatusCode == HttpStatusCode.InternalServerError).ToList();
        failed.ShouldNotBeEmpty();
        foreach (var response in failed)
        {
            var text = await response.Content.ReadAsStringAsync(Ct);
            var body = JsonDocument.Parse(text).RootElement;
            body.GetProperty("error").GetString().ShouldBe("An error occurred during prediction.");
            body.GetProperty("error_type").GetString().ShouldBe("InternalError");
            body.GetProperty("error_details").GetString()!.ShouldStartWith("See the server log for trace id ");
            text.ShouldNotContain("Reshape");
            text.ShouldNotContain("Exception");
        }
    }

    public void Dispose() => _folder.Dispose();

    private async Task<double> PredictWetAsync(string package, SKColor? colour = null)
    {
        var (app, client) = await ServingApp.StartAsync(new Dictionary<string, string?> { ["Model:Path"] = package });
        await using var _ = app;
        using var response = await client.PostAsync("/predict",
            ServingApp.ImageForm(TestImages.Solid(colour ?? new SKColor(90, 90, 90), 24), fileName: "solid.png", contentType: "image/png"), Ct);
        response.StatusCode.ShouldBe(HttpStatusCode.OK);
        return (await Json(response)).GetProperty("probabilities").GetProperty("wet").GetDouble();
    }

    private static byte[] BatchOfOneOnly()
    {
        var graph = new GraphProto { Name = "batch_of_one" };
        graph.Input.Add(OnnxNodes.Tensor(TestModels.InputName, OnnxNodes.Dim(null, "n"), OnnxNodes.Dim(3, null), OnnxNodes.Dim(16, null), OnnxNodes.Dim(16, null)));
        var shape = new TensorProto { Name = "shape", DataType = (int)TensorProto.Types.DataType.Int64 };
        shape.Dims.Add(2);
        shape.Int64Data.AddRange([1, 3]);
        graph.Initializer.Add(shape);
        graph.Initializer.Add(OnnxNodes.Floats("w", [3, 2], [1, -1, 0, 0, -1, 1]));
        graph.Node.Add(OnnxNodes.Node("GlobalAveragePool", [TestModels.InputName], ["pooled"]));
        graph.Node.Add(OnnxNodes.Node("Reshape", ["pooled", "shape"], ["features"]));
        graph.Node.Add(OnnxNodes.Node("MatMul", ["features", "w"], [TestModels.OutputName]));
        graph.Output.Add(OnnxNodes.Tensor(TestModels.OutputName, OnnxNodes.Dim(null, "n"), OnnxNodes.Dim(2, null)));
        return OnnxNodes.Model(graph);
    }

    private static async Task<JsonElement> Json(HttpResponseMessage response) =>
        JsonDocument.Parse(await response.Content.ReadAsStringAsync(Ct)).RootElement.Clone();
}

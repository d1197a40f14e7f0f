using System.Text.Json;
using DryWet.Core.Configuration;
using DryWet.Core.Packaging;
using DryWet.Tests.Storage;
using YamlDotNet.RepresentationModel;

namespace DryWet.Tests.Contracts;

/// <summary>The package's MLmodel carries a signature and an input example the way mlflow writes them for an ndarray model.</summary>
public sealed class MlmodelSignatureTests : IDisposable
{
    private readonly string _root = TestFolders.NewTempDirectory("drywet-mlmodel");

    public void Dispose() => TestFolders.DeleteQuietly(_root);

    [Fact]
    public void MLmodel_has_a_tensor_signature_and_an_input_example_that_fits_it()
    {
        var onnx = Path.Combine(_root, "src.onnx");
        File.WriteAllBytes(onnx, [1, 2, 3]);
        var dir = Path.Combine(_root, "pkg");
        ModelPackage.Write(dir, new ModelPackageContents(onnx, new DryWetConfig { Training = { ImgSize = 32 } }, ["dry", "wet"],
            new Dictionary<string, double>(), new Dictionary<string, string>()));

        var yaml = new YamlStream();
        using (var reader = new StreamReader(Path.Combine(dir, "MLmodel")))
        {
            yaml.Load(reader);
        }

        var root = (YamlMappingNode)yaml.Documents[0].RootNode;
        var example = (YamlMappingNode)root["saved_input_example_info"];
        Scalar(example, "artifact_path").ShouldBe("input_example.json");
        Scalar(example, "serving_input_path").ShouldBe("serving_input_example.json");
        Scalar(example, "type").ShouldBe("ndarray");
        Scalar(example, "format").ShouldBe("tf-serving");
        var signature = (YamlMappingNode)root["signature"];
        var inputs = JsonDocument.Parse(Scalar(signature, "inputs")).RootElement[0];
        inputs.GetProperty("type").GetString().ShouldBe("tensor");
        inputs.GetProperty("tensor-spec").GetProperty("dtype").GetString().ShouldBe("float32");
        var shape = inputs.GetProperty("tensor-spec").GetProperty("shape").EnumerateArray().Select(e => e.GetInt32()).ToArray();
        shape.ShouldBe([-1, 3, 32, 32]);
        JsonDocument.Parse(Scalar(signature, "outputs")).RootElement[0].GetProperty("tensor-spec").GetProperty("shape")
            .EnumerateArray().Select(e => e.GetInt32()).ShouldBe([-1, 2]);

        foreach (var file in new[] { "input_example.json", "serving_input_example.json" })
        {
            var tensor = JsonDocument.Parse(File.ReadAllText(Path.Combine(dir, file))).RootElement.GetProperty("inputs");
            // [1, 3, 32, 32]: one image, as the signature's shape with the batch dimension filled in.
            tensor.GetArrayLength().ShouldBe(1);
            tensor[0].GetArrayLength().ShouldBe(3);
            tensor[0][2].GetArrayLength().ShouldBe(32);
            tensor[0][2][31].GetArrayLength().ShouldBe(32);
            tensor[0][2][31][31].GetDouble().ShouldBe(0.0);
        }
    }

    private static string Scalar(YamlMappingNode node, string key) => ((YamlScalarNode)node[key]).Value!;
}

namespace DryWet.Tests.Tracking;

/// <summary>A minimal model package folder (MLmodel with the onnx flavor + a stand-in model file) for tracking tests.</summary>
internal static class ModelFixtures
{
    public static string WritePackage(string directory, string weights)
    {
        Directory.CreateDirectory(directory);
        File.WriteAllText(Path.Combine(directory, "MLmodel"),
            "artifact_path: model\nflavors:\n  onnx:\n    code: null\n    data: model.onnx\n    onnx_version: 1.16.0\n" +
            "  python_function:\n    data: model.onnx\n    loader_module: mlflow.onnx\nmlflow_version: 2.20.3\n" +
            "model_size_bytes: 9\nutc_time_created: '2026-01-01 00:00:00.000000'\n");
        File.WriteAllText(Path.Combine(directory, "model.onnx"), weights);
        File.WriteAllText(Path.Combine(directory, "labels.json"), "[\"dry\",\"wet\"]");
        return directory;
    }
}

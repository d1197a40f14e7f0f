namespace DryWet.Core.Packaging;

/// <summary>Which of a package's graphs runs: <c>model.onnx</c> (float32) or <c>model.int8.onnx</c> (QDQ INT8).</summary>
public enum ModelPrecision
{
    Fp32,
    Int8,
}

namespace DryWet.Serving.Apis.OpenInference;

/// <summary>
/// A validated inference request: N encoded images (BYTES input) or N preprocessed images (FP32 [N, 3, H, W] input),
/// and which outputs to return how.
/// </summary>
internal sealed record InferenceBatch(string? Id, int Count, IReadOnlyList<ReadOnlyMemory<byte>>? Images, float[]? Tensor,
    IReadOnlyList<OutputRequest> Outputs);

/// <summary>One output to return: <see cref="InferenceOutputs.Probabilities"/> or <see cref="InferenceOutputs.Label"/>, as JSON or binary.</summary>
internal sealed record OutputRequest(string Name, bool Binary);

/// <summary>The outputs every infer answer can carry.</summary>
internal static class InferenceOutputs
{
    public const string Probabilities = "probabilities";
    public const string Label = "label";
    public static readonly IReadOnlyList<string> All = [Probabilities, Label];
}

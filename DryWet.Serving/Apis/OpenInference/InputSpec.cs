using DryWet.Serving.Inference;

namespace DryWet.Serving.Apis.OpenInference;

/// <summary>What the served model accepts as an OIP input, and the per-request element cap (<c>Serving:MaxTensorElements</c>).</summary>
internal sealed record InputSpec(string ModelName, string InputName, int Height, int Width, long MaxTensorElements)
{
    /// <summary>Floats of one preprocessed image: 3 × H × W.</summary>
    public int ImageLength => 3 * Height * Width;

    public static InputSpec Of(LoadedModel model, long maxTensorElements) =>
        new(model.Descriptor.Name, model.InputName, model.Preprocessor.Options.Height, model.Preprocessor.Options.Width, maxTensorElements);
}

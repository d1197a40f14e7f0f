using DryWet.Core.Imaging;

namespace DryWet.Serving.Inference;

/// <summary>Image <see cref="Index"/> of <see cref="Count"/> in a request was refused by the preprocessor (<see cref="Image"/> says why).</summary>
internal sealed class InvalidBatchImageException(int index, int count, InvalidImageException image) : Exception(image.Message, image)
{
    public int Index { get; } = index;
    public int Count { get; } = count;
    public InvalidImageException Image { get; } = image;
}

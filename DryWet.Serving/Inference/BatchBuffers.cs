using Microsoft.ML.OnnxRuntime;

namespace DryWet.Serving.Inference;

/// <summary>
/// Input [maxBatch, 3, H, W] and output [maxBatch, classes] float buffers, pinned once, with one OrtValue pair per batch
/// size created on first use: a run allocates nothing. Owned by one inference loop at a time.
/// </summary>
internal sealed class BatchBuffers : IDisposable
{
    private readonly (OrtValue Input, OrtValue Output)?[] _values;

    internal BatchBuffers(OnnxClassifier classifier, int maxBatch, int height, int width, int classes)
    {
        MaxBatch = maxBatch;
        Height = height;
        Width = width;
        Classes = classes;
        ImageLength = 3 * height * width;
        Input = GC.AllocateUninitializedArray<float>(maxBatch * ImageLength, pinned: true);
        Output = GC.AllocateUninitializedArray<float>(maxBatch * classes, pinned: true);
        _values = new (OrtValue, OrtValue)?[maxBatch + 1];
    }

    public int MaxBatch { get; }
    public int Height { get; }
    public int Width { get; }
    public int Classes { get; }
    public int ImageLength { get; }
    public float[] Input { get; }
    public float[] Output { get; }

    public Span<float> ImageSlot(int index) => Input.AsSpan(index * ImageLength, ImageLength);

    public ReadOnlySpan<float> ProbabilitiesOf(int index) => Output.AsSpan(index * Classes, Classes);

    internal (OrtValue Input, OrtValue Output) ValuesFor(int count)
    {
        if (_values[count] is { } existing)
        {
            return existing;
        }

        var input = OrtValue.CreateTensorValueFromMemory(OrtMemoryInfo.DefaultInstance,
            Input.AsMemory(0, count * ImageLength), [count, 3, Height, Width]);
        var output = OrtValue.CreateTensorValueFromMemory(OrtMemoryInfo.DefaultInstance,
            Output.AsMemory(0, count * Classes), [count, Classes]);
        _values[count] = (input, output);
        return (input, output);
    }

    public void Dispose()
    {
        foreach (var pair in _values)
        {
            pair?.Input.Dispose();
            pair?.Output.Dispose();
        }
    }
}

using System.Buffers;
using DryWet.Core.Imaging;
using DryWet.Serving.Feedback;
using DryWet.Serving.Shadow;
using DryWet.Serving.Telemetry;

namespace DryWet.Serving.Inference;

/// <summary>
/// The one serving data plane: <c>POST /predict</c> and <c>/v2/models/{name}/infer</c> (JSON or binary, encoded or
/// preprocessed, every image of a batch) classify through here. Encoded images are decoded within the decode budget and
/// limits; every image's input brightness is recorded; the images are classified together through the batcher; then
/// each, by one sampling draw, is handed to the shadow and to the prediction log — copies only, nothing on the response
/// path waits for either.
/// </summary>
internal sealed class PredictionPipeline(PredictionLogQueue log, ShadowRunner shadow, ServingTelemetry telemetry)
{
    /// <summary>
    /// Classifies encoded images (JPEG, PNG, WebP, BMP, GIF). Throws <see cref="InvalidBatchImageException"/> for the
    /// first unusable image, <see cref="Admission.ServerBusyException"/> when the decode budget or the queue sheds it.
    /// </summary>
    public async Task<Prediction[]> ClassifyImagesAsync(LoadedModel model, IReadOnlyList<ReadOnlyMemory<byte>> images, CancellationToken cancellationToken)
    {
        var length = model.ImageLength;
        using var expected = model.ExpectImages(images.Count);
        var tensor = ArrayPool<float>.Shared.Rent(images.Count * length);
        try
        {
            for (var i = 0; i < images.Count; i++)
            {
                try
                {
                    await model.PreprocessAsync(images[i], tensor.AsMemory(i * length, length), cancellationToken);
                }
                catch (InvalidImageException ex)
                {
                    throw new InvalidBatchImageException(i, images.Count, ex);
                }
            }

            return await ClassifyAsync(model, tensor.AsMemory(0, images.Count * length), images.Count, images, expected, cancellationToken);
        }
        finally
        {
            ArrayPool<float>.Shared.Return(tensor);
        }
    }

    /// <summary>Classifies <paramref name="count"/> preprocessed [3, H, W] images laid out one after another (OIP FP32 input).</summary>
    public Task<Prediction[]> ClassifyTensorsAsync(LoadedModel model, ReadOnlyMemory<float> tensor, int count, CancellationToken cancellationToken) =>
        ClassifyAsync(model, tensor, count, null, null, cancellationToken);

    private async Task<Prediction[]> ClassifyAsync(LoadedModel model, ReadOnlyMemory<float> tensor, int count, IReadOnlyList<ReadOnlyMemory<byte>>? images,
        InferenceScheduler.ExpectedImages? expected, CancellationToken cancellationToken)
    {
        var length = model.ImageLength;
        var options = model.Preprocessor.Options;
        for (var i = 0; i < count; i++)
        {
            telemetry.RecordInputBrightness(model.Descriptor.Version, InputBrightness.Of(tensor.Span.Slice(i * length, length), options.Mean, options.Std));
        }

        var predictions = await model.ClassifyTensorsAsync(tensor, count, expected, cancellationToken);
        for (var i = 0; i < count; i++)
        {
            Follow(model, predictions[i], tensor.Span.Slice(i * length, length), images?[i] ?? ReadOnlyMemory<byte>.Empty);
        }

        return predictions;
    }

    /// <summary>
    /// One draw per image decides both samples (shadow if below its rate, log if below the log's), so they nest: the
    /// logged images carry a shadow answer as often as the two rates allow.
    /// </summary>
    private void Follow(LoadedModel model, Prediction prediction, ReadOnlySpan<float> tensor, ReadOnlyMemory<byte> encoded)
    {
        var draw = Random.Shared.NextDouble();
        var shadowRequest = shadow.Samples(draw) ? shadow.Offer(model, prediction, tensor, encoded) : null;
        if (!log.Samples(draw))
        {
            return;
        }

        if (encoded.IsEmpty)
        {
            log.Offer(tensor, model.Preprocessor.Options, model.Descriptor, prediction, shadowRequest);
        }
        else
        {
            log.Offer(encoded.Span, model.Descriptor, prediction, shadowRequest);
        }
    }
}

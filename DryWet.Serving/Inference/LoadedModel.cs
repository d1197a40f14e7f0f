using System.Diagnostics;
using DryWet.Core.Imaging;
using DryWet.Core.Packaging;
using DryWet.Serving.Admission;
using DryWet.Serving.Models;
using DryWet.Serving.Telemetry;

namespace DryWet.Serving.Inference;

/// <summary>
/// A model ready to serve: session, batcher, the preprocessing that matches it, and its metadata; it decodes images
/// (within the decode budget, with the decode/preprocess spans) and classifies preprocessed tensors through the batcher. Reference-counted:
/// the host holds one reference while it is current, each request one while it uses it; the last release disposes it,
/// so a replaced model finishes its in-flight requests before its session goes away.
/// </summary>
internal sealed class LoadedModel
{
    private readonly OnnxClassifier _classifier;
    private readonly InferenceScheduler _scheduler;
    private readonly BatchTuning _tuning;
    private readonly ServingTelemetry _telemetry;
    private readonly DecodeBudget _decodeBudget;
    private int _references = 1;
    private BatchBuffers? _directBuffers;

    public LoadedModel(ModelDescriptor descriptor, IReadOnlyList<string> labels, OnnxClassifier classifier,
        InferenceScheduler scheduler, BatchTuning tuning, ImagePreprocessor preprocessor, DecodeBudget decodeBudget, ServingTelemetry telemetry)
    {
        _tuning = tuning;
        _telemetry = telemetry;
        _decodeBudget = decodeBudget;
        Descriptor = descriptor;
        Labels = labels;
        _classifier = classifier;
        _scheduler = scheduler;
        Preprocessor = preprocessor;
        LoadedAt = DateTimeOffset.UtcNow;
    }

    public ModelDescriptor Descriptor { get; }
    public IReadOnlyList<string> Labels { get; }
    public ImagePreprocessor Preprocessor { get; }
    public string ExecutionProvider => _classifier.ExecutionProvider;
    public string InputName => _classifier.InputName;
    public string OutputName => _classifier.OutputName;
    /// <summary>Which graph of the package runs (Model:Precision) and why.</summary>
    public ModelPrecision Precision { get; init; }
    public string PrecisionReason { get; init; } = "";
    public DateTimeOffset LoadedAt { get; }

    /// <summary>The batcher's plan in use now: tuned at load, re-checked from live run times, or as configured.</summary>
    public BatchPlan BatchPlan => _scheduler.Plan;

    public int MaxBatchSize => BatchPlan.MaxBatchSize;

    /// <summary>The run time per batch size the plan was chosen from, and where it came from (<see cref="TableSources"/>).</summary>
    public (BatchLatencyTable Table, string Source) BatchLatencies => (_tuning.Table, _tuning.TableSource);

    /// <summary>Requests waiting for an inference run now (at most <c>Serving:MaxQueuedRequests</c>).</summary>
    public int QueuedRequests => _scheduler.Queued;

    /// <summary>
    /// The 503 a request would get anyway when the inference queue or the decode queue is full, else null: asked before
    /// a request's body is read, so a saturated server spends nothing on it.
    /// </summary>
    public ServerBusyException? Saturated()
    {
        if (_scheduler.IsFull)
        {
            return _scheduler.QueueFull();
        }

        return _decodeBudget.Waiting >= _scheduler.MaxQueued
            ? new ServerBusyException(RejectionReasons.DecodeQueueFull,
                $"The server is busy: {_scheduler.MaxQueued} requests already wait to decode their images (Serving:MaxQueuedRequests). Retry shortly.")
            : null;
    }

    /// <summary>Floats in one preprocessed image: 3 × H × W.</summary>
    public int ImageLength => Preprocessor.TensorLength;

    /// <summary>
    /// Announces images a request is about to decode, so that a batch held open on the tuned delay waits for them
    /// (pass it to <see cref="ClassifyTensorsAsync"/>; dispose it however the request ends).
    /// </summary>
    public InferenceScheduler.ExpectedImages ExpectImages(int count) => _scheduler.ExpectImages(count);

    /// <summary>Classifies <paramref name="count"/> preprocessed images laid out one after another, batched together.</summary>
    public async Task<Prediction[]> ClassifyTensorsAsync(ReadOnlyMemory<float> images, int count, InferenceScheduler.ExpectedImages? expected,
        CancellationToken cancellationToken)
    {
        var rows = await _scheduler.ClassifyManyAsync(images, count, expected, cancellationToken);
        var predictions = new Prediction[count];
        for (var i = 0; i < count; i++)
        {
            predictions[i] = Prediction.FromProbabilities(rows[i], Labels);
            _telemetry.RecordPrediction(Descriptor.Version, predictions[i].Label, predictions[i].Confidence);
        }

        return predictions;
    }

    /// <summary>
    /// Reads the image header (refusing too many pixels before any pixel exists), reserves the decode's worst-case
    /// memory and a decode slot from the process-wide <see cref="DecodeBudget"/> (waiting without a thread, bounded),
    /// then decodes and preprocesses into <paramref name="tensor"/>; the reservation is given back however it ends.
    /// </summary>
    public async Task PreprocessAsync(ReadOnlyMemory<byte> encoded, Memory<float> tensor, CancellationToken cancellationToken)
    {
        var header = Preprocessor.ReadHeader(encoded.Span);
        using var reservation = await _decodeBudget.ReserveAsync(header.WorkingBytes, cancellationToken);
        Preprocess(encoded.Span, tensor.Span);
    }

    /// <summary>
    /// Decodes and preprocesses an encoded image into <paramref name="tensor"/> ([3, H, W]), with the decode and
    /// preprocess spans and timings, without a budget (<see cref="PreprocessAsync"/> is the request path; the shadow
    /// runner decodes one image at a time on its own thread). Throws <see cref="InvalidImageException"/> for input
    /// that is not a usable image.
    /// </summary>
    public void Preprocess(ReadOnlySpan<byte> encoded, Span<float> tensor)
    {
        using var activity = ServingTelemetry.ActivitySource.StartActivity("preprocess");
        var started = DateTime.UtcNow;
        var timings = Preprocessor.Preprocess(encoded, tensor);
        // The decode stage (header + decode) as its own child span, from the stage timings; resize + normalize follows it.
        using (var decode = ServingTelemetry.ActivitySource.StartActivity("decode", ActivityKind.Internal, default(ActivityContext), startTime: started))
        {
            decode?.SetEndTime(started + timings.Header + timings.Decode);
        }

        _telemetry.RecordDecode((timings.Header + timings.Decode).TotalSeconds);
        _telemetry.RecordPreprocess(timings.Total.TotalSeconds);
    }

    /// <summary>
    /// Classifies one preprocessed image on the calling thread, outside the batcher: the shadow runner's low-priority
    /// thread, its only caller (the buffers are not shared). No prediction metrics: the shadow is not what serves.
    /// </summary>
    public Prediction ClassifyOnThisThread(ReadOnlySpan<float> image)
    {
        _directBuffers ??= _classifier.CreateBuffers(1, Preprocessor.Options.Height, Preprocessor.Options.Width, Labels.Count);
        image[..ImageLength].CopyTo(_directBuffers.ImageSlot(0));
        _classifier.Run(_directBuffers, 1);
        return Prediction.FromProbabilities(_directBuffers.ProbabilitiesOf(0).ToArray(), Labels);
    }

    /// <summary>Adds a reference unless the model is already being disposed.</summary>
    public bool TryAddReference()
    {
        var current = Volatile.Read(ref _references);
        while (current > 0)
        {
            var seen = Interlocked.CompareExchange(ref _references, current + 1, current);
            if (seen == current)
            {
                return true;
            }

            current = seen;
        }

        return false;
    }

    public void Release()
    {
        if (Interlocked.Decrement(ref _references) == 0)
        {
            _ = DisposeAsync();
        }
    }

    private async Task DisposeAsync()
    {
        await _scheduler.DisposeAsync();
        _directBuffers?.Dispose();
        _classifier.Dispose();
        NativeHeap.Trim();
    }
}

/// <summary>A request's hold on a model; disposing it releases the reference.</summary>
internal sealed class ModelLease(LoadedModel model) : IDisposable
{
    private int _disposed;

    public LoadedModel Model { get; } = model;

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 0)
        {
            Model.Release();
        }
    }
}

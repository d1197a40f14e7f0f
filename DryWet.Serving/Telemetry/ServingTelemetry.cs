using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace DryWet.Serving.Telemetry;

/// <summary>
/// Meter and ActivitySource "DryWet.Serving" (exported by ServiceDefaults as "DryWet.*"; Prometheus on /metrics).
/// Names follow the peers (BentoML's <c>*_request_total</c>/<c>*_request_duration_seconds</c>, KServe's
/// preprocess/predict histograms).
/// </summary>
public sealed class ServingTelemetry : IDisposable
{
    public const string Name = "DryWet.Serving";

    /// <summary>Spans: decode, preprocess, inference.</summary>
    public static readonly ActivitySource ActivitySource = new(Name);

    private static readonly IReadOnlyList<double> LatencyBuckets =
        [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 10];

    private readonly Meter _meter;
    private readonly Counter<long> _requests;
    private readonly Histogram<double> _requestDuration;
    private readonly Histogram<double> _decodeDuration;
    private readonly Histogram<double> _preprocessDuration;
    private readonly Histogram<double> _inferenceDuration;
    private readonly Histogram<int> _batchSize;
    private readonly Counter<long> _predictions;
    private readonly Counter<long> _reloads;
    private readonly Counter<long> _rejectedImages;
    private readonly Counter<long> _rejectedRequests;
    private readonly Histogram<double> _confidence;
    private readonly Histogram<double> _brightness;
    private readonly Counter<long> _logWritten;
    private readonly Counter<long> _logDropped;
    private readonly Counter<long> _logDeleted;
    private readonly Counter<long> _shadowAgreement;
    private readonly Counter<long> _shadowDropped;
    private Func<int> _shadowQueueLength = () => 0;
    private Func<(string Name, string Version, string Provider, string Precision, string PrecisionReason)?> _modelInfo = () => null;
    private Func<int> _logQueueLength = () => 0;

    public ServingTelemetry(IMeterFactory meterFactory)
    {
        _meter = meterFactory.Create(Name);
        _requests = _meter.CreateCounter<long>("drywet_requests_total", description: "HTTP requests by endpoint and status code.");
        _requestDuration = Seconds("drywet_request_duration_seconds", "HTTP request latency by endpoint and status code.");
        _decodeDuration = Seconds("drywet_decode_duration_seconds", "Image decode + orientation + resize time.");
        _preprocessDuration = Seconds("drywet_preprocess_duration_seconds", "Whole image-to-tensor time (decode included).");
        _inferenceDuration = Seconds("drywet_inference_duration_seconds", "ONNX Runtime time per batch.");
        _batchSize = _meter.CreateHistogram<int>("drywet_batch_size", description: "Images per inference batch.",
            advice: new InstrumentAdvice<int> { HistogramBucketBoundaries = [1, 2, 4, 8, 16, 32] });
        _predictions = _meter.CreateCounter<long>("drywet_predictions_total", description: "Predictions by predicted class and model version (class share = drift).");
        // Drift: what the model answers (confidence) and what it is shown (brightness), per model version, so the
        // dashboard and the alert compare a new version with the day before. 2 classes: confidence is 0.5–1.
        _confidence = _meter.CreateHistogram("drywet_prediction_confidence", description: "Probability of the predicted class, by model version.",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.5, 0.6, 0.7, 0.8, 0.85, 0.9, 0.95, 0.98, 0.99, 1] });
        _brightness = _meter.CreateHistogram("drywet_input_brightness", description: "Mean luma (0 black – 1 white) of each decoded input image, by model version.",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1] });
        _logWritten = _meter.CreateCounter<long>("drywet_prediction_log_written_total", description: "Predictions written to the prediction log (image + record).");
        _logDropped = _meter.CreateCounter<long>("drywet_prediction_log_dropped_total", description: "Sampled predictions not logged, by reason (queue_full, store_unavailable, store_error, shutdown).");
        _logDeleted = _meter.CreateCounter<long>("drywet_prediction_log_deleted_total", description: "Prediction-log objects deleted by retention.");
        _meter.CreateObservableGauge("drywet_prediction_log_queue_length", () => _logQueueLength(), description: "Predictions waiting to be written to the prediction log.");
        _shadowAgreement = _meter.CreateCounter<long>("drywet_shadow_agreement_total",
            description: "Images the shadow model (the registry's challenger) also classified, by whether it agreed with the served model (agree=true|false).");
        _shadowDropped = _meter.CreateCounter<long>("drywet_shadow_dropped_total",
            description: "Sampled images the shadow did not classify, by reason (queue_full, live_busy, expired, input_mismatch, unloaded, failed).");
        _meter.CreateObservableGauge("drywet_shadow_queue_length", () => _shadowQueueLength(), description: "Images waiting for the shadow model.");
        _reloads = _meter.CreateCounter<long>("drywet_model_reloads_total", description: "Model loads by outcome (success, failure).");
        _rejectedImages = _meter.CreateCounter<long>("drywet_rejected_images_total", description: "Inputs refused with 4xx, by reason.");
        _rejectedRequests = _meter.CreateCounter<long>("drywet_rejected_requests_total",
            description: "Requests shed with 503 + Retry-After because the server was saturated, by reason (decode_queue_full, decode_memory_timeout, queue_full, queue_timeout).");
        _meter.CreateObservableGauge("drywet_model_info", ObserveModelInfo,
            description: "1 for the model being served, labelled with name, version, execution provider, precision (fp32, int8) and why that precision (for auto with a vouched INT8 graph: both graphs' load-time throughputs).");
        // Memory, so a pod's requests/limits can be set from what serving really uses (ONNX Runtime's native arena
        // shows in the working set, not in the GC heap).
        _meter.CreateObservableGauge("drywet_process_working_set_bytes", () => Environment.WorkingSet, unit: "By",
            description: "Resident memory of the serving process (managed + native, ONNX Runtime included).");
        _meter.CreateObservableGauge("drywet_gc_heap_bytes", () => GC.GetGCMemoryInfo().HeapSizeBytes, unit: "By",
            description: "Managed heap size after the last garbage collection.");
        _meter.CreateObservableGauge("drywet_gc_committed_bytes", () => GC.GetGCMemoryInfo().TotalCommittedBytes, unit: "By",
            description: "Memory the garbage collector has committed from the OS.");
    }

    private Histogram<double> Seconds(string name, string description) =>
        _meter.CreateHistogram(name, unit: "s", description: description,
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = LatencyBuckets });

    internal void ObserveModel(Func<(string Name, string Version, string Provider, string Precision, string PrecisionReason)?> modelInfo) => _modelInfo = modelInfo;

    private IEnumerable<Measurement<int>> ObserveModelInfo()
    {
        if (_modelInfo() is { } info)
        {
            yield return new Measurement<int>(1, new("name", info.Name), new("version", info.Version), new("provider", info.Provider), new("precision", info.Precision),
                new("precision_reason", info.PrecisionReason));
        }
    }

    public void RecordRequest(string endpoint, int status, double seconds)
    {
        var tags = new TagList { { "endpoint", endpoint }, { "status", status } };
        _requests.Add(1, tags);
        _requestDuration.Record(seconds, tags);
    }

    public void RecordDecode(double seconds) => _decodeDuration.Record(seconds);

    public void RecordPreprocess(double seconds) => _preprocessDuration.Record(seconds);

    public void RecordInference(double seconds, int batchSize)
    {
        _inferenceDuration.Record(seconds);
        _batchSize.Record(batchSize);
    }

    public void RecordPrediction(string modelVersion, string label, double confidence)
    {
        _predictions.Add(1, new KeyValuePair<string, object?>("class", label), new KeyValuePair<string, object?>("model_version", modelVersion));
        _confidence.Record(confidence, new KeyValuePair<string, object?>("model_version", modelVersion));
    }

    public void RecordInputBrightness(string modelVersion, double brightness) =>
        _brightness.Record(brightness, new KeyValuePair<string, object?>("model_version", modelVersion));

    internal void ObservePredictionLogQueue(Func<int> length) => _logQueueLength = length;

    public void RecordPredictionLogWritten() => _logWritten.Add(1);

    public void RecordPredictionLogDropped(string reason) => _logDropped.Add(1, new KeyValuePair<string, object?>("reason", reason));

    public void RecordPredictionLogDeleted(int objects)
    {
        if (objects > 0)
        {
            _logDeleted.Add(objects);
        }
    }

    public void RecordShadowAgreement(bool agree) => _shadowAgreement.Add(1, new KeyValuePair<string, object?>("agree", agree ? "true" : "false"));

    public void RecordShadowDropped(string reason) => _shadowDropped.Add(1, new KeyValuePair<string, object?>("reason", reason));

    internal void ObserveShadowQueue(Func<int> length) => _shadowQueueLength = length;

    public void RecordReload(bool success) => _reloads.Add(1, new KeyValuePair<string, object?>("outcome", success ? "success" : "failure"));

    public void RecordRejectedImage(string reason) => _rejectedImages.Add(1, new KeyValuePair<string, object?>("reason", reason));

    public void RecordRejectedRequest(string reason) => _rejectedRequests.Add(1, new KeyValuePair<string, object?>("reason", reason));

    /// <summary>Decode memory reserved now and requests waiting for it (<see cref="DryWet.Core.Imaging.DecodeBudget"/>).</summary>
    internal void ObserveDecodeBudget(DryWet.Core.Imaging.DecodeBudget budget)
    {
        _meter.CreateObservableGauge("drywet_decode_memory_reserved_bytes", () => budget.ReservedBytes, unit: "By",
            description: "Decode memory reserved by images being decoded (of Serving:DecodeMemoryBudgetMB).");
        _meter.CreateObservableGauge("drywet_decode_waiting_requests", () => budget.Waiting,
            description: "Requests waiting for decode memory or a decode slot.");
    }

    /// <summary>
    /// The served model's batch plan: <c>drywet_batch_max_size</c>, <c>drywet_batch_max_delay_seconds</c> and
    /// <c>drywet_batch_latency_objective_seconds</c>, each labelled with the model version and where the value came from.
    /// </summary>
    internal void ObserveBatchPlan(Func<(string Version, Inference.BatchPlan Plan)?> plan)
    {
        IEnumerable<Measurement<double>> Observe(Func<Inference.BatchPlan, (double Value, string Source)> pick)
        {
            if (plan() is { } current)
            {
                var (value, source) = pick(current.Plan);
                yield return new Measurement<double>(value, new("model_version", current.Version), new("source", source));
            }
        }

        _meter.CreateObservableGauge("drywet_batch_max_size", () => Observe(p => (p.MaxBatchSize, p.MaxBatchSizeSource)),
            description: "Largest batch the batcher runs (source: tuned, configured or fixed_by_model).");
        _meter.CreateObservableGauge("drywet_batch_max_delay_seconds", () => Observe(p => (p.MaxBatchDelay.TotalSeconds, p.MaxBatchDelaySource)), unit: "s",
            description: "Longest the batcher waits for a batch to fill (source: tuned or configured).");
        _meter.CreateObservableGauge("drywet_batch_latency_objective_seconds", () => Observe(p => (p.LatencyObjective.TotalSeconds, p.LatencyObjectiveSource)), unit: "s",
            description: "The latency objective the batch plan was chosen under (source: tuned = default from measurements, or configured).");
    }

    public void Dispose() => _meter.Dispose();
}

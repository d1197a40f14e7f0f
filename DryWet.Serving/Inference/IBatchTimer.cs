namespace DryWet.Serving.Inference;

/// <summary>
/// Times a loaded model's batches for <see cref="BatchTuner"/>: the one source of load-time run times, both for the
/// batch plan and for <c>Model:Precision auto</c>'s INT8-versus-fp32 comparison (<see cref="Int8SpeedCheck"/>).
/// <see cref="BatchTimer"/> runs the model; tests inject run times so that choices are tested without timing anything.
/// </summary>
internal interface IBatchTimer
{
    /// <summary>Runs <paramref name="runs"/> batches of <paramref name="size"/> (the first untimed) and returns the median seconds of the timed ones.</summary>
    Task<double> TimeAsync(OnnxClassifier classifier, int height, int width, int classes, int size, int runs);
}

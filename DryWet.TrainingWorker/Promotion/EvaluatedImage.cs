namespace DryWet.TrainingWorker.Promotion;

/// <summary>One held-out image with its true class name (names, not indices: champion and challenger may order classes differently).</summary>
public sealed record EvaluatedImage(string Path, string Class);

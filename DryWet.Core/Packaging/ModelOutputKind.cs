namespace DryWet.Core.Packaging;

/// <summary>
/// What the classifier's output rows are, written as <c>metadata.output</c> in the package's MLmodel (<c>logits</c> or
/// <c>probabilities</c>). Serving applies softmax to logits and passes probabilities through; only a package that says
/// nothing (a foreign one) is judged by its rows.
/// </summary>
public enum ModelOutputKind
{
    /// <summary>Raw scores: serving applies softmax (the trainer's EfficientNet export).</summary>
    Logits,

    /// <summary>Rows already sum to 1 (a graph ending in Softmax).</summary>
    Probabilities,
}

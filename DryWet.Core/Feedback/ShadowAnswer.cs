namespace DryWet.Core.Feedback;

/// <summary>
/// What the shadow model (the registry's <c>challenger</c>, run off the response path) answered for a logged request:
/// <c>"shadow": {"model_version", "prediction", "probabilities"}</c> in the record. Absent when no shadow answered it.
/// </summary>
public sealed record ShadowAnswer(string ModelVersion, string Prediction, IReadOnlyDictionary<string, float> Probabilities);

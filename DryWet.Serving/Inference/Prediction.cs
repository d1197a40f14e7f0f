namespace DryWet.Serving.Inference;

/// <summary>One image's classification: the winning label and every class probability in output order.</summary>
internal sealed record Prediction(string Label, int Index, IReadOnlyList<string> Labels, float[] Probabilities)
{
    public static Prediction FromProbabilities(float[] probabilities, IReadOnlyList<string> labels)
    {
        var best = 0;
        for (var i = 1; i < probabilities.Length; i++)
        {
            best = probabilities[i] > probabilities[best] ? i : best;
        }

        return new Prediction(labels[best], best, labels, probabilities);
    }

    /// <summary>Probability of the winning class.</summary>
    public float Confidence => Probabilities[Index];

    public IReadOnlyDictionary<string, float> ByLabel()
    {
        var byLabel = new Dictionary<string, float>(Labels.Count);
        for (var i = 0; i < Probabilities.Length; i++)
        {
            byLabel[Labels[i]] = Probabilities[i];
        }

        return byLabel;
    }
}

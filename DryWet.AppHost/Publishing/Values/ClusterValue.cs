namespace DryWet.AppHost.Publishing;

/// <summary>
/// A value as the cluster will see it: literal text and references to Secret keys, in order. A value without secret
/// parts can go into a ConfigMap; one that is exactly one secret part is a <c>secretKeyRef</c>; a mix is assembled in
/// the pod from helper variables (<c>Endpoint=http://…;AccessKey=$(SECRET_…)</c>).
/// </summary>
public sealed class ClusterValue
{
    private ClusterValue(IReadOnlyList<object> parts) => Parts = parts;

    /// <summary>Each part is a <see cref="string"/> or a <see cref="SecretKeyReference"/>; adjacent texts are merged.</summary>
    public IReadOnlyList<object> Parts { get; }

    public bool HasSecrets => Parts.Any(p => p is SecretKeyReference);

    public IEnumerable<SecretKeyReference> Secrets => Parts.OfType<SecretKeyReference>();

    /// <summary>The value when it holds no secret part.</summary>
    public string Text => HasSecrets
        ? throw new InvalidOperationException("A value with secret parts has no plain text.")
        : string.Concat(Parts.Cast<string>());

    public static ClusterValue FromText(string text) => new([text]);

    public static ClusterValue FromSecret(SecretKeyReference secret) => new([secret]);

    public static ClusterValue Concat(IEnumerable<ClusterValue> values)
    {
        var parts = new List<object>();
        foreach (var part in values.SelectMany(v => v.Parts))
        {
            if (part is string text && parts.Count > 0 && parts[^1] is string previous)
            {
                parts[^1] = previous + text;
            }
            else if (part is not "")
            {
                parts.Add(part);
            }
        }

        return new(parts.Count == 0 ? [""] : parts);
    }

    /// <summary>
    /// The value in Kubernetes' env syntax: secrets as <c>$(VARIABLE)</c>, literal <c>$</c> doubled so that nothing in
    /// the text is expanded by accident.
    /// </summary>
    public string ToExpansion() => string.Concat(Parts.Select(p => p switch
    {
        SecretKeyReference secret => $"$({secret.VariableName})",
        string text => text.Replace("$", "$$", StringComparison.Ordinal),
        _ => throw new InvalidOperationException($"Unexpected value part {p.GetType().Name}."),
    }));
}

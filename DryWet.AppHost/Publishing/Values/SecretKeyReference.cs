namespace DryWet.AppHost.Publishing;

/// <summary>
/// One key of a Secret that exists in the cluster before the app is applied: the platform's (KFP's
/// <c>mlpipeline-minio-artifact</c>) or the one the user generates from <c>.env</c>. The publish output names it and
/// never holds its value.
/// </summary>
public sealed record SecretKeyReference(string SecretName, string Key)
{
    /// <summary>
    /// Name of the helper variable a composed value refers to as <c>$(NAME)</c> (Kubernetes expands references to
    /// variables defined earlier in the container's env list).
    /// </summary>
    public string VariableName => "SECRET_" + Sanitize(SecretName) + "_" + Sanitize(Key);

    private static string Sanitize(string value) =>
        string.Concat(value.Select(c => char.IsAsciiLetterOrDigit(c) ? char.ToUpperInvariant(c) : '_'));
}

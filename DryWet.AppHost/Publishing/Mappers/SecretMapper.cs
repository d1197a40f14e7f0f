namespace DryWet.AppHost.Publishing;

/// <summary>One key of the user's Secret and the variables that read it (<c>dry-wet-model: Serving__AdminApiKey</c>).</summary>
public sealed record UserSecretKey(string Key, IReadOnlyList<string> UsedBy);

/// <summary>
/// The Secret the user supplies at deploy time: a kustomize secretGenerator reading <see cref="EnvFile"/> next to
/// the kustomization (git-ignored; <c>.env.example</c> lists the keys). The publish step knows its keys, never its values.
/// </summary>
public sealed record KubernetesUserSecret(string Name, string EnvFile, IReadOnlyList<UserSecretKey> Keys);

public static class SecretMapper
{
    public const string EnvFile = ".env";

    /// <summary>The user's Secret with every key a published resource reads, or null when none reads one.</summary>
    public static KubernetesUserSecret? ToSecret(this IEnumerable<KubernetesResourceContext> contexts, KubernetesPublishOptions options)
    {
        var keys = contexts
            .SelectMany(c => c.UserSecretUses.Select(u => (u.Secret.Key, Use: $"{c.Name}: {u.Variable}")))
            .GroupBy(u => u.Key, StringComparer.Ordinal)
            .OrderBy(g => g.Key, StringComparer.Ordinal)
            .Select(g => new UserSecretKey(g.Key, [.. g.Select(u => u.Use).Distinct().Order(StringComparer.Ordinal)]))
            .ToList();
        return keys.Count == 0 ? null : new KubernetesUserSecret(options.SecretName, EnvFile, keys);
    }
}

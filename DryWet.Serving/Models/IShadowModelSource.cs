namespace DryWet.Serving.Models;

/// <summary>A source that also knows a shadow model: the registry's <c>challenger</c> alias.</summary>
public interface IShadowModelSource
{
    /// <summary>The registry alias whose version serves as the shadow.</summary>
    public const string ShadowAlias = "challenger";

    /// <summary>The version the shadow alias names now; null when no version has it.</summary>
    Task<string?> PeekShadowVersionAsync(CancellationToken cancellationToken);

    /// <summary>The shadow alias's version with its package on local disk; null when no version has the alias.</summary>
    Task<ModelCandidate?> FetchShadowAsync(CancellationToken cancellationToken);
}

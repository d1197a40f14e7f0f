using DryWet.Core;
using DryWet.Core.Registry;
using Microsoft.Extensions.Options;

namespace DryWet.Serving.Models;

/// <summary>
/// Serves what the model registry (embedded or MLflow, see AddModelRegistry) calls production: the version with alias
/// <c>Model:Alias</c> (default production), else the newest version in stage <c>Model:Stage</c> (default Production);
/// its shadow is the version with alias <c>challenger</c>. A version's package is downloaded once into
/// <c>&lt;DryWet:Home&gt;/cache/models/&lt;name&gt;/&lt;version&gt;</c> (atomically: a folder there is always complete),
/// then loaded from disk.
/// </summary>
public sealed class RegistryModelSource(IModelRegistry registry, IOptions<ModelOptions> options, IConfiguration configuration,
    ILogger<RegistryModelSource> logger) : IModelSource, IWatchableModelSource, IShadowModelSource
{
    private readonly ModelOptions _options = options.Value;
    private readonly string _cache = Path.Combine(DryWetHome.Cache(DryWetHome.Resolve(configuration)), "models");

    public string Description => $"{registry.Description}: {_options.Name}@{_options.Alias} (else stage {_options.Stage})";

    public async Task<ModelCandidate> FetchAsync(CancellationToken cancellationToken)
    {
        var version = await ResolveAsync(cancellationToken)
            ?? throw new DryWetException(
                $"No version of '{_options.Name}' has alias '{_options.Alias}' or stage '{_options.Stage}' in {registry.Description}. " +
                "Run `train` (it registers and promotes the model), or set Model:Path to serve a local package.");
        return await DownloadAsync(version, cancellationToken);
    }

    public async Task<string?> PeekVersionAsync(CancellationToken cancellationToken) => (await ResolveAsync(cancellationToken))?.Version;

    public async Task<string?> PeekShadowVersionAsync(CancellationToken cancellationToken) => (await ResolveShadowAsync(cancellationToken))?.Version;

    public async Task<ModelCandidate?> FetchShadowAsync(CancellationToken cancellationToken) =>
        await ResolveShadowAsync(cancellationToken) is { } version ? await DownloadAsync(version, cancellationToken) : null;

    private Task<ModelVersion?> ResolveAsync(CancellationToken cancellationToken) =>
        registry.ResolveAsync(_options.Name, _options.Alias, _options.Stage, cancellationToken);

    /// <summary>The alias alone, no stage fallback: a registry without a challenger has no shadow.</summary>
    private async Task<ModelVersion?> ResolveShadowAsync(CancellationToken cancellationToken) =>
        (await registry.ListVersionsAsync(_options.Name, cancellationToken)).FirstOrDefault(v => v.Aliases.Contains(IShadowModelSource.ShadowAlias));

    private async Task<ModelCandidate> DownloadAsync(ModelVersion version, CancellationToken cancellationToken)
    {
        var directory = Path.Combine(_cache, _options.Name, version.Version);
        if (!File.Exists(Path.Combine(directory, "MLmodel")))
        {
            logger.LogInformation("Downloading {Model} version {Version} from {Registry} to {Directory}", version.Name, version.Version, registry.Description, directory);
            await registry.DownloadAsync(version, directory, cancellationToken);
        }

        return new ModelCandidate(directory, new ModelDescriptor(version.Name, version.Version, version.CurrentStage, version.Description,
            version.CreationTimestamp, version.LastUpdatedTimestamp, version.Source));
    }
}

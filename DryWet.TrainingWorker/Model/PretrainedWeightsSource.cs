using DryWet.Core;
using DryWet.Core.Configuration;
using Microsoft.Extensions.Configuration;

namespace DryWet.TrainingWorker.Model;

/// <summary>
/// Decides where a run's starting weights come from: <c>model.pretrained_path</c> (a local file) wins; else
/// <c>model.pretrained: imagenet</c> downloads torchvision's IMAGENET1K_V1 file into <c>DryWet:Home/cache/weights/</c>
/// (base URL <c>DryWet:Weights:BaseUrl</c> for mirrors and air-gapped clusters; <c>DryWet:Weights:Files:&lt;architecture&gt;</c>
/// names another file there); <c>none</c> trains from scratch, said loudly. Never falls back to random weights silently.
/// </summary>
public sealed class PretrainedWeightsSource(WeightsDownloader downloader, Uri baseUrl, IReadOnlyDictionary<string, string> fileOverrides, Action<string> report)
{
    public const string SectionKey = "DryWet:Weights";
    private static readonly string[] KnownKeys = ["BaseUrl", "Files"];

    /// <summary>Builds the source from configuration; a misspelt key under <c>DryWet:Weights</c> or a bad URL is an error.</summary>
    public static PretrainedWeightsSource FromConfiguration(IConfiguration configuration, HttpClient http, Action<string> report)
    {
        var section = configuration.GetSection(SectionKey);
        foreach (var child in section.GetChildren().Where(c => !KnownKeys.Contains(c.Key, StringComparer.OrdinalIgnoreCase)))
        {
            throw new DryWetException(KeySuggestion.UnknownKeyMessage($"{SectionKey}:{child.Key}", child.Key, KnownKeys));
        }

        var configured = section["BaseUrl"];
        var baseUrl = ImageNetWeights.DefaultBaseUrl;
        if (!string.IsNullOrWhiteSpace(configured))
        {
            if (!Uri.TryCreate(configured.EndsWith('/') ? configured : configured + "/", UriKind.Absolute, out var parsed) || parsed.Scheme is not ("http" or "https"))
            {
                throw new DryWetException($"{SectionKey}:BaseUrl = '{configured}' is not an http(s) URL; set it to the folder that serves torchvision's weight files, e.g. http://mirror.internal/torchvision/models/.");
            }

            baseUrl = parsed;
        }

        var files = section.GetSection("Files").GetChildren()
            .Where(c => !string.IsNullOrWhiteSpace(c.Value))
            .ToDictionary(c => c.Key, c => c.Value!, StringComparer.OrdinalIgnoreCase);
        var cache = Path.Combine(DryWetHome.Cache(DryWetHome.Resolve(configuration)), "weights");
        return new PretrainedWeightsSource(new WeightsDownloader(http, cache, report), baseUrl, files, report);
    }

    /// <summary>The local weights file to start from, or null to train from scratch.</summary>
    public async Task<string?> ResolveAsync(DryWetConfig.ModelSection model, CancellationToken cancellationToken)
    {
        if (!string.IsNullOrWhiteSpace(model.PretrainedPath))
        {
            return model.PretrainedPath;
        }

        if (model.ResolvePretrained() == DryWetConfig.ModelSection.PretrainedNone)
        {
            report($"WARNING: {model.Architecture} starts from random weights (model.pretrained: none). Fine-tuning ImageNet weights " +
                   "(model.pretrained: imagenet, efficientnet_b0…b7) learns far more from a few thousand road photos.");
            return null;
        }

        var fileName = fileOverrides.GetValueOrDefault(model.Architecture) ?? ImageNetWeights.FileNameFor(model.Architecture)
            ?? throw new DryWetException(
                $"model.pretrained = imagenet, but {model.Architecture} has no published ImageNet weights. Set model.pretrained: none, " +
                $"choose efficientnet_b0…b7, point model.pretrained_path at a local file, or name a file your mirror serves in {SectionKey}:Files:{model.Architecture}.");
        var url = new Uri(baseUrl, Uri.EscapeDataString(fileName));
        var alternative = $"Offline or behind a firewall? Copy the file to a reachable mirror and set {SectionKey}:BaseUrl (env DryWet__Weights__BaseUrl), " +
                          $"put it at {Path.Combine(downloader.CacheDirectory, fileName)}, or set model.pretrained_path to a local copy (or model.pretrained: none to train from scratch).";
        return await downloader.GetAsync(url, fileName, alternative, cancellationToken);
    }
}

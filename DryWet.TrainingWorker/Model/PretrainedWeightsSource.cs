using DryWet.Core;
using DryWet.Core.Configuration;

namespace DryWet.TrainingWorker.Model;

/// <summary>
/// Decides where a run's starting weights come from: <c>model.pretrained_path</c> (a local file) wins; else
/// <c>model.pretrained: imagenet</c> downloads torchvision's IMAGENET1K_V1 file into <c>DryWet:Home/cache/weights/</c>
/// (from <see cref="WeightsOptions.BaseUrl"/> for mirrors and air-gapped clusters; <see cref="WeightsOptions.Files"/>
/// names another file there); <c>none</c> trains from scratch, said loudly. Never falls back to random weights silently.
/// </summary>
public sealed class PretrainedWeightsSource(WeightsDownloader downloader, WeightsOptions options, Action<string> report)
{
    /// <summary>
    /// The source for a trainer whose <c>DryWet:Weights</c> settings are <paramref name="options"/> (bound and checked at
    /// start, <see cref="Platform.TrainerHost"/>), caching under <paramref name="home"/>'s <c>cache/weights/</c>.
    /// </summary>
    public static PretrainedWeightsSource Create(WeightsOptions options, string home, HttpClient http, Action<string> report) =>
        new(new WeightsDownloader(http, Path.Combine(DryWetHome.Cache(home), "weights"), report), options, report);

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

        var fileName = options.FileFor(model.Architecture) ?? ImageNetWeights.FileNameFor(model.Architecture)
            ?? throw new DryWetException(
                $"model.pretrained = imagenet, but {model.Architecture} has no published ImageNet weights. Set model.pretrained: none, " +
                $"choose efficientnet_b0…b7, point model.pretrained_path at a local file, or name a file your mirror serves in {WeightsOptions.SectionName}:Files:{model.Architecture}.");
        var url = new Uri(options.BaseFolder(), Uri.EscapeDataString(fileName));
        var alternative = $"Offline or behind a firewall? Copy the file to a reachable mirror and set {WeightsOptions.SectionName}:BaseUrl (env DryWet__Weights__BaseUrl), " +
                          $"put it at {Path.Combine(downloader.CacheDirectory, fileName)}, or set model.pretrained_path to a local copy (or model.pretrained: none to train from scratch).";
        return await downloader.GetAsync(url, fileName, alternative, cancellationToken);
    }
}

using DryWet.Core;
using DryWet.Core.Registry;
using DryWet.Core.Storage;
using DryWet.Core.Tracking;
using DryWet.TrainingWorker.Model;
using DryWet.TrainingWorker.Training;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace DryWet.TrainingWorker.Platform;

/// <summary>A <see cref="TrainingRun"/> wired to the host's adapters (tracker, registry, object store, ImageNet weights), for train and watch.</summary>
internal static class TrainingRuns
{
    public static TrainingRun Create(IServiceProvider services, HttpClient http, ITrainingProgress progress)
    {
        var weights = PretrainedWeightsSource.Create(services.GetRequiredService<WeightsOptions>(), DryWetHome.Resolve(services.GetRequiredService<IConfiguration>()),
            http, progress.Message);
        return new TrainingRun(services.GetRequiredService<IExperimentTracker>(), services.GetRequiredService<IModelRegistry>(),
            services.GetRequiredService<IObjectStore>(), weights, new EfficientNetBackend(progress), progress);
    }
}

using DryWet.Core;
using DryWet.Core.LiveEvaluation;
using DryWet.Core.Registry;
using DryWet.Core.Storage;
using DryWet.Core.Tracking;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace DryWet.TrainingWorker.Promotion;

/// <summary>Builds the <see cref="LiveGate"/> from the trainer's platform services (<c>promote --live</c> and <c>watch</c> share it).</summary>
internal static class LiveGates
{
    public static LiveGate Create(IServiceProvider services)
    {
        var work = Path.Combine(DryWetHome.Resolve(services.GetRequiredService<IConfiguration>()), "live", "work");
        var reader = new LiveReviewReader(services.GetRequiredService<IObjectStore>(), work, services.GetRequiredService<ILogger<LiveReviewReader>>());
        return new LiveGate(services.GetRequiredService<IModelRegistry>(), reader, services.GetService<IFinishedRunMetrics>(),
            services.GetRequiredService<ILogger<LiveGate>>());
    }
}

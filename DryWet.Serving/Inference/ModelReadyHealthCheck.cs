using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace DryWet.Serving.Inference;

/// <summary>Readiness: healthy once a model is loaded (Kubernetes sends no traffic before).</summary>
internal sealed class ModelReadyHealthCheck(ModelHost host) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
        => Task.FromResult(host.Current is { } model
            ? HealthCheckResult.Healthy($"Serving {model.Descriptor.Name} version {model.Descriptor.Version}.")
            : HealthCheckResult.Unhealthy($"No model loaded: {host.UnavailableReason}"));
}

using DryWet.AppHost.Minio;
using DryWet.AppHost.Mlflow;
using DryWet.AppHost.Serving;
using DryWet.AppHost.Trainer;

namespace DryWet.AppHost.Platform;

/// <summary>How the AppHost brings up the platform's backing services.</summary>
public enum PlatformMode
{
    /// <summary>No containers: trainer and serving share one local folder through the embedded adapters.</summary>
    Embedded,

    /// <summary>MinIO and MLflow run as containers (Docker or Podman).</summary>
    Containers,
}

/// <summary>The chosen mode and why, logged when the AppHost starts.</summary>
public sealed record PlatformModeDecision(PlatformMode Mode, string Reason);

using DryWet.AppHost.Minio;
using DryWet.AppHost.Mlflow;
using DryWet.AppHost.Platform;
using DryWet.AppHost.Serving;
using DryWet.AppHost.Trainer;

namespace DryWet.AppHost.Publishing;

/// <summary>
/// The backing services the platform cluster already runs (platform/setup.sh): the app's minio and mlflow resources
/// are not deployed but stand for KFP's MinIO and the platform's MLflow. MinIO's root user and password become the
/// keys of the consuming workload's own MinIO identity Secret (one user per workload, limited by a bucket policy), and
/// MLflow's connection string carries the basic-auth credentials from their Secret: all are read in the pod and never
/// written by the publish step.
/// </summary>
public sealed class PlatformServices(KubernetesPublishOptions options)
{
    public bool Hosts(IResource resource) =>
        options.UsePlatformServices && resource is MinioResource or MlflowResource;

    /// <summary>The platform's address of a resource it hosts (the same for every endpoint of it).</summary>
    public Uri Endpoint(IResource resource) => resource switch
    {
        MinioResource => new Uri(options.MinioEndpoint),
        MlflowResource => new Uri(options.MlflowEndpoint),
        _ => throw new InvalidOperationException($"The platform does not host '{resource.Name}'."),
    };

    /// <summary>
    /// The platform MLflow's connection string as <paramref name="consumer"/>'s pod assembles it: its URL and the
    /// basic-auth credentials from <see cref="KubernetesPublishOptions.MlflowSecretName"/>.
    /// </summary>
    public ClusterValue MlflowConnectionString(IResource mlflow) => ClusterValue.Concat(
    [
        ClusterValue.FromText($"Endpoint={Endpoint(mlflow).GetLeftPart(UriPartial.Authority)};Username="),
        ClusterValue.FromSecret(new(options.MlflowSecretName, options.MlflowUsernameKey)),
        ClusterValue.FromText(";Password="),
        ClusterValue.FromSecret(new(options.MlflowSecretName, options.MlflowPasswordKey)),
    ]);

    /// <summary>
    /// The platform Secret key that replaces a parameter of a hosted resource, if the parameter is one: MinIO's root
    /// user and password become <paramref name="consumer"/>'s own MinIO identity.
    /// </summary>
    public SecretKeyReference? Secret(ParameterResource parameter, DistributedApplicationModel model, IResource consumer)
    {
        if (!options.UsePlatformServices)
        {
            return null;
        }

        foreach (var minio in model.Resources.OfType<MinioResource>())
        {
            if (ReferenceEquals(parameter, minio.RootUser)) return new(options.MinioSecretFor(consumer.Name), options.MinioAccessKeyKey);
            if (ReferenceEquals(parameter, minio.RootPassword)) return new(options.MinioSecretFor(consumer.Name), options.MinioSecretKeyKey);
        }

        return null;
    }
}

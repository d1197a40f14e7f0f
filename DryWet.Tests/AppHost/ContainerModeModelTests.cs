using Aspire.Hosting.ApplicationModel;
using DryWet.AppHost.Minio;
using DryWet.AppHost.Mlflow;
using DryWet.AppHost.Platform;
using DryWet.AppHost.Serving;
using DryWet.AppHost.Trainer;

namespace DryWet.Tests.AppHost;

public class ContainerModeModelTests
{
    [Fact]
    public async Task Minio_is_a_pinned_container_with_api_and_console_endpoints_a_data_volume_and_a_health_check()
    {
        await using var builder = await AppHostModel.CreateAsync("containers");
        var minio = builder.Resource<MinioResource>("minio");

        var image = minio.Annotations.OfType<ContainerImageAnnotation>().Single();
        image.Image.ShouldBe("minio/minio");
        image.Tag.ShouldStartWith("RELEASE.");
        var endpoints = minio.Annotations.OfType<EndpointAnnotation>().ToDictionary(e => e.Name, e => e.TargetPort);
        endpoints.ShouldBe(new Dictionary<string, int?> { ["http"] = 9000, ["console"] = 9001 });
        minio.Annotations.OfType<ContainerMountAnnotation>().Single().Target.ShouldBe("/data");
        minio.Annotations.OfType<HealthCheckAnnotation>().ShouldNotBeEmpty();
        (await minio.PublishedArgsAsync()).ShouldBe(["server", "/data", "--console-address", ":9001"]);
    }

    [Fact]
    public async Task Minio_credentials_are_secret_parameters_and_the_buckets_are_declared()
    {
        await using var builder = await AppHostModel.CreateAsync("containers");
        var minio = builder.Resource<MinioResource>("minio");

        minio.RootUser.Secret.ShouldBeTrue();
        minio.RootPassword.Secret.ShouldBeTrue();
        minio.Annotations.OfType<MinioBucketsAnnotation>().Single().Buckets.ShouldBe(["ml-data", "ml-models", "mlflow"]);
        var environment = await minio.PublishedEnvironmentAsync();
        environment["MINIO_ROOT_USER"].ShouldBe("{minio-root-user.value}");
        environment["MINIO_ROOT_PASSWORD"].ShouldBe("{minio-root-password.value}");
    }

    [Fact]
    public async Task Minio_connection_string_has_endpoint_and_keys()
    {
        await using var builder = await AppHostModel.CreateAsync("containers");
        var minio = builder.Resource<MinioResource>("minio");

        minio.ConnectionStringExpression.ValueExpression
            .ShouldBe("Endpoint={minio.bindings.http.url};AccessKey={minio-root-user.value};SecretKey={minio-root-password.value}");
    }

    [Fact]
    public async Task Mlflow_serves_artifacts_into_minio_with_a_persistent_sqlite_store_and_a_health_check()
    {
        await using var builder = await AppHostModel.CreateAsync("containers");
        var mlflow = builder.Resource<MlflowResource>("mlflow");

        mlflow.Annotations.OfType<ContainerImageAnnotation>().Single().Tag.ShouldEndWith("-full");
        var args = await mlflow.PublishedArgsAsync();
        args.ShouldContain("--serve-artifacts");
        args.ShouldContain("s3://mlflow/");
        args.ShouldContain("sqlite:////mlflow/mlflow.db");
        mlflow.Annotations.OfType<ContainerMountAnnotation>().Single().Target.ShouldBe("/mlflow");
        var environment = await mlflow.PublishedEnvironmentAsync();
        environment["MLFLOW_S3_ENDPOINT_URL"].ShouldBe("{minio.bindings.http.url}");
        environment["AWS_ACCESS_KEY_ID"].ShouldBe("{minio-root-user.value}");
        environment["AWS_SECRET_ACCESS_KEY"].ShouldBe("{minio-root-password.value}");
        mlflow.Annotations.OfType<HealthCheckAnnotation>().ShouldNotBeEmpty();
        mlflow.Annotations.OfType<WaitAnnotation>().Select(w => w.Resource.Name).ShouldContain("minio");
        mlflow.ConnectionStringExpression.ValueExpression.ShouldBe("{mlflow.bindings.http.url}");
    }

    [Theory]
    [InlineData("trainer")]
    [InlineData("serving")]
    public async Task Services_reference_minio_and_mlflow_and_wait_for_mlflow(string name)
    {
        await using var builder = await AppHostModel.CreateAsync("containers");
        var service = builder.Resource<IResourceWithEnvironment>(name);

        var environment = await service.PublishedEnvironmentAsync();
        environment["ConnectionStrings__minio"].ShouldBe("{minio.connectionString}");
        environment["ConnectionStrings__mlflow"].ShouldBe("{mlflow.connectionString}");
        environment.Keys.ShouldNotContain("DryWet__Home");
        service.Annotations.OfType<WaitAnnotation>().Select(w => w.Resource.Name).ShouldContain("mlflow");
    }

    [Fact]
    public async Task Trainer_image_runs_as_a_container_with_the_gpus_passed_through()
    {
        await using var builder = await AppHostModel.CreateAsync("containers", "--DryWet:Trainer:Image=dry_wet_train:dev");
        var trainer = builder.Resource<ContainerResource>("trainer");

        var runtimeArgs = new List<object>();
        foreach (var callback in trainer.Annotations.OfType<ContainerRuntimeArgsCallbackAnnotation>())
        {
            await callback.Callback(new ContainerRuntimeArgsCallbackContext(runtimeArgs, TestContext.Current.CancellationToken));
        }

        runtimeArgs.ShouldBe(["--gpus", "all"]);
        trainer.Annotations.OfType<GpuRequirementAnnotation>().Single().Count.ShouldBe(1);
        trainer.Annotations.OfType<ExplicitStartupAnnotation>().ShouldHaveSingleItem();
    }
}

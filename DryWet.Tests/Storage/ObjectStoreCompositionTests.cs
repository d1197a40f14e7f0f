using DryWet.Core;
using DryWet.Core.Storage;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;

namespace DryWet.Tests.Storage;

/// <summary>AddObjectStore / AddMinioClient: adapter choice by configuration, health check, faults.</summary>
public sealed class ObjectStoreCompositionTests(S3rverFixture s3) : IClassFixture<S3rverFixture>, IDisposable
{
    private readonly string _home = TestFolders.NewTempDirectory("home");

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public void Without_a_minio_connection_string_the_embedded_store_under_DryWet_Home_is_used()
    {
        using var host = Build(minio: null);

        var store = host.Services.GetRequiredService<IObjectStore>();

        store.ShouldBeOfType<EmbeddedObjectStore>();
        store.Description.ShouldContain(Path.Combine(_home, "objects"));
    }

    [Fact]
    public async Task With_a_minio_connection_string_the_MinIO_store_uploads_to_the_server_and_reports_healthy()
    {
        using var host = Build(s3.ConnectionString);
        var store = host.Services.GetRequiredService<IObjectStore>();
        var file = Path.Combine(_home, "payload.bin");
        File.WriteAllBytes(file, [1, 2, 3, 4]);

        await store.UploadFileAsync("ml-data", "composition/payload.bin", file, Ct);

        store.ShouldBeOfType<MinioObjectStore>();
        var target = Path.Combine(_home, "back.bin");
        await s3.CreateStore().DownloadFileAsync("ml-data", "composition/payload.bin", target, Ct);
        File.ReadAllBytes(target).ShouldBe([1, 2, 3, 4]);
        var health = await host.Services.GetRequiredService<HealthCheckService>().CheckHealthAsync(Ct);
        health.Entries["minio"].Status.ShouldBe(HealthStatus.Healthy);
    }

    [Fact]
    public async Task Object_store_down_during_upload_fails_with_an_error_naming_the_endpoint_and_reports_unhealthy()
    {
        var deadPort = S3rverFixture.FreePort();
        using var host = Build($"Endpoint=http://127.0.0.1:{deadPort};AccessKey=a;SecretKey=b");
        var store = host.Services.GetRequiredService<IObjectStore>();
        var file = Path.Combine(_home, "payload.bin");
        File.WriteAllBytes(file, [1]);

        var error = await Should.ThrowAsync<ObjectStoreUnavailableException>(() => store.UploadFileAsync("ml-models", "x/payload.bin", file, Ct));

        error.Message.ShouldContain($"127.0.0.1:{deadPort}");
        error.Message.ShouldContain("ConnectionStrings:minio");
        var health = await host.Services.GetRequiredService<HealthCheckService>().CheckHealthAsync(Ct);
        health.Entries["minio"].Status.ShouldBe(HealthStatus.Unhealthy);
    }

    [Theory]
    [InlineData("AccessKey=a;SecretKey=b", "Endpoint")]
    [InlineData("Endpoint=ftp://x:21;AccessKey=a;SecretKey=b", "ftp://x:21")]
    [InlineData("Endpoint=http://minio:9000;AccessKey=a", "SecretKey")]
    public void A_malformed_minio_connection_string_is_rejected_saying_what_is_missing(string connectionString, string expected)
    {
        var error = Should.Throw<DryWetException>(() => MinioConnectionString.Parse(connectionString));

        error.Message.ShouldContain(expected);
    }

    [Fact]
    public void The_minio_connection_string_parses_Aspire_format_and_never_prints_the_secret()
    {
        var parsed = MinioConnectionString.Parse("Endpoint=https://minio.example:9443;AccessKey=ak;SecretKey=very-secret");

        parsed.HostAndPort.ShouldBe("minio.example:9443");
        parsed.UseSsl.ShouldBeTrue();
        parsed.ToString().ShouldNotContain("very-secret");
    }

    public void Dispose() => TestFolders.DeleteQuietly(_home);

    private IHost Build(string? minio)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Configuration[DryWetHome.ConfigurationKey] = _home;
        if (minio is not null)
        {
            builder.Configuration["ConnectionStrings:minio"] = minio;
        }

        builder.Services.AddLogging();
        builder.Services.AddHealthChecks();
        builder.AddObjectStore();
        return builder.Build();
    }
}

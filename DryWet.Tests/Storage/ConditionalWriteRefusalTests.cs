using DryWet.Core;
using DryWet.Core.Storage;
using Microsoft.Extensions.Logging.Abstractions;
using Minio;

namespace DryWet.Tests.Storage;

/// <summary>
/// The MinIO adapter fails closed: on an S3 server that ignores conditional writes, or without the handler that sends
/// their headers, a create-only write is refused with a message and nothing is overwritten.
/// </summary>
public sealed class ConditionalWriteRefusalTests(PlainS3rverFixture plain) : IClassFixture<PlainS3rverFixture>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_server_that_ignores_the_headers_is_refused_by_the_probe_and_the_first_object_stays()
    {
        var store = plain.CreateStore();
        var key = $"labels/{Guid.NewGuid():N}.json";
        await store.UploadAsync(S3rverFixture.PreconfiguredBucket, key, "first"u8.ToArray(), "application/json", Ct);

        var error = await Should.ThrowAsync<DryWetException>(() => store.TryCreateAsync(S3rverFixture.PreconfiguredBucket, key, "second"u8.ToArray(), "application/json", Ct));

        error.Message.ShouldContain("ignores S3 conditional writes");
        (await store.ReadAsync(S3rverFixture.PreconfiguredBucket, key, 1024, Ct)).Content.ShouldBe("first"u8.ToArray());
        (await store.ListAsync(S3rverFixture.PreconfiguredBucket, ".drywet/", Ct)).ShouldBeEmpty();
    }

    [Fact]
    public async Task Without_the_header_handler_in_the_client_a_conditional_write_is_refused_before_it_is_sent()
    {
        var client = new MinioClient().WithEndpoint($"127.0.0.1:{plain.Port}").WithCredentials(S3rverFixture.AccessKey, S3rverFixture.SecretKey)
            .WithSSL(false).WithHttpClient(new HttpClient(new S3rverNamespaceFix { InnerHandler = new SocketsHttpHandler() })).Build();
        var store = new MinioObjectStore(client, plain.Endpoint.ToString(), NullLogger<MinioObjectStore>.Instance);
        var key = $"labels/{Guid.NewGuid():N}.json";

        var error = await Should.ThrowAsync<DryWetException>(() => store.TryCreateAsync(S3rverFixture.PreconfiguredBucket, key, "x"u8.ToArray(), "application/json", Ct));

        error.Message.ShouldContain(nameof(S3ConditionalWrites));
        (await store.ListAsync(S3rverFixture.PreconfiguredBucket, "labels/", Ct)).ShouldNotContain(o => o.Key == key);
    }
}

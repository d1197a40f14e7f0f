using DryWet.AppHost.Minio;
using DryWet.AppHost.Mlflow;
using DryWet.AppHost.Platform;
using DryWet.AppHost.Serving;
using DryWet.AppHost.Trainer;
using DryWet.Tests.Storage;
using Microsoft.Extensions.Logging.Abstractions;
using Minio.DataModel.Args;

namespace DryWet.Tests.AppHost;

/// <summary>What the AppHost does once MinIO is healthy, against a real S3 server (s3rver; MinIO cannot run here).</summary>
public class MinioBucketsTests(S3rverFixture s3) : IClassFixture<S3rverFixture>
{
    private MinioConnection Connection => MinioConnection.Parse(s3.ConnectionString);

    [Fact]
    public async Task Missing_buckets_are_created_and_existing_ones_kept_on_every_start()
    {
        var ct = TestContext.Current.CancellationToken;
        string[] buckets = ["ml-data", "ml-models", "mlflow"];
        using var client = s3.CreateClient();

        await MinioBuckets.EnsureAsync(Connection, buckets, NullLogger.Instance, ct);
        foreach (var bucket in buckets)
        {
            (await client.BucketExistsAsync(new BucketExistsArgs().WithBucket(bucket), ct)).ShouldBeTrue(bucket);
        }

        // What a user stored between two starts survives the next start.
        var key = $"kept-{Guid.NewGuid():N}.txt";
        foreach (var bucket in buckets)
        {
            using var content = new MemoryStream(System.Text.Encoding.UTF8.GetBytes($"stored in {bucket}"));
            await client.PutObjectAsync(new PutObjectArgs().WithBucket(bucket).WithObject(key).WithStreamData(content).WithObjectSize(content.Length), ct);
        }

        await MinioBuckets.EnsureAsync(Connection, buckets, NullLogger.Instance, ct);

        foreach (var bucket in buckets)
        {
            using var read = new MemoryStream();
            await client.GetObjectAsync(new GetObjectArgs().WithBucket(bucket).WithObject(key).WithCallbackStream(stream => stream.CopyTo(read)), ct);
            System.Text.Encoding.UTF8.GetString(read.ToArray()).ShouldBe($"stored in {bucket}");
        }
    }

    [Fact]
    public async Task Sample_data_upload_lands_in_ml_data()
    {
        var ct = TestContext.Current.CancellationToken;
        var file = TestFolders.NewTempFile("drywet-upload", ".zip");
        await File.WriteAllBytesAsync(file, [80, 75, 5, 6, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0], ct);
        try
        {
            await MinioBuckets.UploadAsync(Connection, "ml-data", "dry-wet-data.zip", file, ct);

            using var client = s3.CreateClient();
            var stat = await client.StatObjectAsync(new StatObjectArgs().WithBucket("ml-data").WithObject("dry-wet-data.zip"), ct);
            stat.Size.ShouldBe(22);
        }
        finally
        {
            TestFolders.DeleteQuietly(file);
        }
    }

    [Theory]
    [InlineData("AccessKey=a;SecretKey=b", "'Endpoint='")]
    [InlineData("Endpoint=minio:9000;AccessKey=a;SecretKey=b", "not an absolute URL")]
    [InlineData("Endpoint=http://minio:9000;AccessKey=a", "'SecretKey='")]
    public void A_malformed_minio_connection_string_says_what_is_missing(string connectionString, string expected)
    {
        Should.Throw<FormatException>(() => MinioConnection.Parse(connectionString)).Message.ShouldContain(expected);
    }
}

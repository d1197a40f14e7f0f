using DryWet.Core.Storage;

namespace DryWet.Tests.Storage;

/// <summary>Conditional writes through the MinIO adapter (If-None-Match / If-Match on PUT) on s3rver with S3's semantics.</summary>
public sealed class MinioConditionalWriteTests(S3rverFixture s3) : ConditionalWriteContractTests, IClassFixture<S3rverFixture>
{
    private readonly MinioObjectStore _store = s3.CreateStore();

    protected override IObjectStore Store => _store;
}

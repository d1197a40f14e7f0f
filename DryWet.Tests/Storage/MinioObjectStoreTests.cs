using DryWet.Core.Storage;

namespace DryWet.Tests.Storage;

/// <summary>The object-store contract against MinioObjectStore on a real S3 server (s3rver).</summary>
public sealed class MinioObjectStoreTests(S3rverFixture s3) : ObjectStoreContractTests, IClassFixture<S3rverFixture>
{
    private readonly MinioObjectStore _store = s3.CreateStore();

    protected override IObjectStore Store => _store;
}

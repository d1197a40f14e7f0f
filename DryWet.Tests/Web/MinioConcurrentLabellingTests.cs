using DryWet.Core.Storage;
using DryWet.Tests.Storage;

namespace DryWet.Tests.Web;

/// <summary>Concurrent labelling through the MinIO adapter on s3rver (with S3's conditional writes): a client per reviewer.</summary>
public sealed class MinioConcurrentLabellingTests(S3rverFixture s3) : ConcurrentLabellingTests, IClassFixture<S3rverFixture>
{
    protected override IObjectStore NewStore() => s3.CreateStore();
}

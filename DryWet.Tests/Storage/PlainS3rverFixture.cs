namespace DryWet.Tests.Storage;

/// <summary>s3rver as it ships: it ignores the conditional-write headers and overwrites.</summary>
public sealed class PlainS3rverFixture : S3rverFixture
{
    protected override bool ConditionalWrites => false;
}

namespace DryWet.Core.Storage;

/// <summary>A reference to an object: <c>s3://bucket/key</c> or <c>objectstore://bucket/key</c> (whichever store is configured).</summary>
public sealed record ObjectStoreUri(string Bucket, string Key)
{
    private static readonly string[] Schemes = ["s3://", "objectstore://"];

    public static bool IsObjectStoreUri(string value) => Schemes.Any(s => value.StartsWith(s, StringComparison.OrdinalIgnoreCase));

    public static ObjectStoreUri Parse(string value)
    {
        var scheme = Schemes.FirstOrDefault(s => value.StartsWith(s, StringComparison.OrdinalIgnoreCase))
            ?? throw new DryWetException($"'{value}' is not an object reference; use s3://bucket/key (e.g. s3://ml-data/dry-wet-data.zip).");
        var rest = value[scheme.Length..];
        var slash = rest.IndexOf('/');
        if (slash <= 0 || slash == rest.Length - 1)
        {
            throw new DryWetException($"'{value}' needs a bucket and a key: s3://bucket/key (e.g. s3://ml-data/dry-wet-data.zip).");
        }

        var uri = new ObjectStoreUri(rest[..slash], rest[(slash + 1)..]);
        ObjectKeys.ValidateBucket(uri.Bucket);
        ObjectKeys.ValidateKey(uri.Key);
        return uri;
    }

    public override string ToString() => $"s3://{Bucket}/{Key}";
}

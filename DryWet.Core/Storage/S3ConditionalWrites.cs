namespace DryWet.Core.Storage;

/// <summary>
/// Adds S3's conditional-write header (<c>If-None-Match: *</c> or <c>If-Match: "&lt;etag&gt;"</c>) to the object PUT that
/// <see cref="MinioObjectStore"/> marks with <see cref="Begin"/>. The Minio SDK 7.0.0 sends any header it does not know
/// as <c>x-amz-meta-…</c> user metadata, so the header is added here, under the SDK, after it signed the request: SigV4
/// requires only <c>host</c> and the <c>x-amz-*</c> headers to be signed. Must be in the MinIO HttpClient's pipeline
/// (<c>AddMinioClient</c> puts it there); the store refuses a conditional write when it sees that it is not.
/// </summary>
public sealed class S3ConditionalWrites : DelegatingHandler
{
    private static readonly AsyncLocal<Condition?> Current = new();

    /// <summary>Marks the PUTs of this async flow as conditional until the returned scope ends.</summary>
    internal static Condition Begin(string header, string value)
    {
        var condition = new Condition(header, value);
        Current.Value = condition;
        return condition;
    }

    protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        if (Current.Value is { } condition)
        {
            condition.Seen = true;
            if (request.Method == HttpMethod.Put)
            {
                request.Headers.TryAddWithoutValidation(condition.Header, condition.Value);
                condition.Applied = true;
            }
        }

        return base.SendAsync(request, cancellationToken);
    }

    /// <summary>One conditional write: which header, and whether this handler saw a request and applied the header to a PUT.</summary>
    internal sealed class Condition(string header, string value) : IDisposable
    {
        public string Header { get; } = header;
        public string Value { get; } = value;
        public volatile bool Seen;
        public volatile bool Applied;

        public void Dispose() => Current.Value = null;
    }
}

using System.Text;

namespace DryWet.Tests.Storage;

/// <summary>
/// Works around an s3rver 3.7.1 bug, not a DryWet one: its ListObjects (and ListBuckets) responses declare the XML
/// namespace "http://doc.s3.amazonaws.com/2006-03-01/" (s3rver lib/controllers/bucket.js:238, 326) instead of S3's
/// "http://s3.amazonaws.com/doc/2006-03-01/", so the Minio SDK (which reads S3's namespace, as MinIO and AWS send it)
/// finds no objects. This handler, used only by the s3rver test client, rewrites the namespace to what real S3 sends.
/// </summary>
internal sealed class S3rverNamespaceFix : DelegatingHandler
{
    private const string Wrong = "http://doc.s3.amazonaws.com/2006-03-01/";
    private const string Right = "http://s3.amazonaws.com/doc/2006-03-01/";

    public S3rverNamespaceFix() : base(new SocketsHttpHandler()) { }

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var response = await base.SendAsync(request, cancellationToken);
        if (request.Method != HttpMethod.Get || response.Content.Headers.ContentType?.MediaType is not ("application/xml" or "text/xml"))
        {
            return response;
        }

        var xml = await response.Content.ReadAsStringAsync(cancellationToken);
        if (xml.Contains(Wrong, StringComparison.Ordinal))
        {
            response.Content = new StringContent(xml.Replace(Wrong, Right, StringComparison.Ordinal), Encoding.UTF8,
                response.Content.Headers.ContentType.MediaType);
        }

        return response;
    }
}

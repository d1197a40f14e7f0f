using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Net.Http.Headers;

namespace DryWet.Serving.Apis;

/// <summary>
/// Reads the image of a <c>multipart/form-data</c> upload (field <c>file</c>): owns the media-type check, the body
/// limit (Serving:MaxRequestBodyBytes) and the mapping of every malformed-body failure to a <see cref="ClientError"/>.
/// The file part goes straight into a <see cref="PooledBody"/>: no form buffer in between (ASP.NET's form reader would
/// first grow a MemoryStream per upload, the managed heap's growth under many clients).
/// </summary>
internal static class ImageUploadReader
{
    public const string FileField = "file";
    public const string Expected = $"multipart/form-data with the image in the field '{FileField}'";

    /// <summary>The image and its file name, or the refusal; the caller disposes the image.</summary>
    public static Task<(PooledBody? Image, string FileName, ClientError? Error)> ReadAsync(HttpContext context, long limit,
        CancellationToken cancellationToken)
    {
        var (boundary, refused) = Boundary(context, limit);
        return refused is null
            ? ReadPartsAsync(new MultipartReader(boundary!, context.Request.Body) { BodyLengthLimit = limit }, context.Request.ContentLength, limit, cancellationToken)
            : Task.FromResult<(PooledBody?, string, ClientError?)>((null, "", refused));
    }

    /// <summary>
    /// The body's readers enforce the limit; Kestrel's hard cap sits above it so that, after a 413, Kestrel can still
    /// drain a moderately oversized body and the client reads the answer instead of a broken pipe.
    /// </summary>
    public static void AllowDrainingOversizedBodies(HttpContext context, long limit)
    {
        if (context.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } sizeFeature)
        {
            sizeFeature.MaxRequestBodySize = 2 * limit + 1024 * 1024;
        }
    }

    /// <summary>The refusals before any byte is read: 415 not multipart/form-data, 413 a Content-Length over the limit, 400 no boundary.</summary>
    private static (string? Boundary, ClientError? Error) Boundary(HttpContext context, long limit)
    {
        var request = context.Request;
        if (!MediaTypeHeaderValue.TryParse(request.ContentType, out var mediaType)
            || !mediaType.MediaType.Equals("multipart/form-data", StringComparison.OrdinalIgnoreCase))
        {
            return (null, ClientError.UnsupportedMediaType(request.ContentType, Expected));
        }

        AllowDrainingOversizedBodies(context, limit);
        if (request.ContentLength > limit)
        {
            return (null, ClientError.BodyTooLarge(limit, request.ContentLength));
        }

        var boundary = HeaderUtilities.RemoveQuotes(mediaType.Boundary).Value;
        return string.IsNullOrEmpty(boundary)
            ? (null, ClientError.Malformed("Malformed multipart/form-data body: the Content-Type names no boundary."))
            : (boundary, null);
    }

    /// <summary>
    /// Every part in turn: the first file part named <c>file</c> into a pooled buffer, the others drained and named for
    /// the error when no image comes.
    /// </summary>
    private static async Task<(PooledBody? Image, string FileName, ClientError? Error)> ReadPartsAsync(MultipartReader reader, long? contentLength,
        long limit, CancellationToken cancellationToken)
    {
        PooledBody? image = null;
        var fileName = "";
        var others = new List<string>();
        try
        {
            while (await reader.ReadNextSectionAsync(cancellationToken) is { } section)
            {
                var disposition = FormData(section);
                var name = HeaderUtilities.RemoveQuotes(disposition.Name).Value ?? "";
                var isFile = disposition.IsFileDisposition();
                if (isFile && name == FileField && image is null)
                {
                    fileName = HeaderUtilities.RemoveQuotes(disposition.FileNameStar.HasValue ? disposition.FileNameStar : disposition.FileName).Value ?? "";
                    // The reader's length limit throws first; null is the same overflow, seen by the buffer.
                    image = await PooledBody.ReadAsync(section.Body, contentLength, limit, cancellationToken)
                        ?? throw new InvalidDataException($"The file part exceeds the body length limit {limit}.");
                }
                else
                {
                    others.Add(isFile ? $"'{name}' (file)" : $"'{name}'");
                    await section.Body.CopyToAsync(Stream.Null, cancellationToken);
                }
            }
        }
        catch (Exception ex) when (ex is BadHttpRequestException or InvalidDataException or IOException)
        {
            image?.Dispose();
            return (null, "", Unreadable(ex, limit));
        }
        catch
        {
            image?.Dispose();
            throw;
        }

        if (image is { Length: 0 })
        {
            image.Dispose();
            return (null, fileName, new ClientError(StatusCodes.Status400BadRequest, "empty",
                $"The uploaded file '{fileName}' is empty (0 bytes). Send a JPEG, PNG, WebP, BMP or GIF image."));
        }

        return image is null ? (null, "", MissingFile(others)) : (image, fileName, null);
    }

    private static ContentDispositionHeaderValue FormData(MultipartSection section) =>
        ContentDispositionHeaderValue.TryParse(section.ContentDisposition, out var disposition)
        && disposition.DispositionType.Equals("form-data", StringComparison.OrdinalIgnoreCase)
            ? disposition
            : throw new InvalidDataException("a part without a Content-Disposition: form-data header");

    /// <summary>413 for a body over the limit (Kestrel's cap or the multipart reader's), else 400 naming what broke.</summary>
    private static ClientError Unreadable(Exception ex, long limit) => ex switch
    {
        BadHttpRequestException bad => bad.StatusCode == StatusCodes.Status413PayloadTooLarge
            ? ClientError.BodyTooLarge(limit)
            : ClientError.Malformed($"Malformed request body: {bad.Message}"),
        // The multipart reader reports its length limit as InvalidDataException("... limit ...").
        InvalidDataException data => data.Message.Contains("limit", StringComparison.OrdinalIgnoreCase)
            ? ClientError.BodyTooLarge(limit)
            : ClientError.Malformed($"Malformed multipart/form-data body: {data.Message}"),
        _ => ClientError.Malformed($"The request body could not be read: {ex.Message}"),
    };

    private static ClientError MissingFile(List<string> others)
    {
        if (others.Contains($"'{FileField}'"))
        {
            return new ClientError(StatusCodes.Status400BadRequest, "missing_file",
                $"Field '{FileField}' was sent as text, not as a file upload. Send it as a file part (curl: -F \"{FileField}=@road.jpg\").");
        }

        var detail = others.Count == 0 ? "the form is empty" : $"found {string.Join(", ", others)}";
        return new ClientError(StatusCodes.Status400BadRequest, "missing_file",
            $"Missing file field '{FileField}': {detail}. Send the image as multipart/form-data file field '{FileField}'.");
    }
}

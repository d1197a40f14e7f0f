using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Net.Http.Headers;

namespace DryWet.Serving.Apis;

/// <summary>
/// Reads the image of a <c>multipart/form-data</c> upload (field <c>file</c>): owns the media-type check, the body
/// limit (Serving:MaxRequestBodyBytes) and the mapping of every malformed-body failure to a <see cref="ClientError"/>.
/// </summary>
internal static class ImageUploadReader
{
    public const string FileField = "file";
    public const string Expected = $"multipart/form-data with the image in the field '{FileField}'";

    public static async Task<(ImageUpload? Upload, ClientError? Error)> ReadAsync(HttpContext context, long limit, CancellationToken cancellationToken)
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
        if (string.IsNullOrEmpty(boundary))
        {
            return (null, ClientError.Malformed("Malformed multipart/form-data body: the Content-Type names no boundary."));
        }

        // The file part goes straight into a pooled buffer: no form buffer in between (ASP.NET's form reader would
        // first grow a MemoryStream per upload, the managed heap's growth under many clients).
        var reader = new MultipartReader(boundary, request.Body) { BodyLengthLimit = limit };
        var others = new List<string>();
        ImageUpload? upload = null;
        try
        {
            for (var section = await reader.ReadNextSectionAsync(cancellationToken); section is not null; section = await reader.ReadNextSectionAsync(cancellationToken))
            {
                if (!ContentDispositionHeaderValue.TryParse(section.ContentDisposition, out var disposition) || !disposition.DispositionType.Equals("form-data", StringComparison.OrdinalIgnoreCase))
                {
                    throw new InvalidDataException("a part without a Content-Disposition: form-data header");
                }

                var name = HeaderUtilities.RemoveQuotes(disposition.Name).Value ?? "";
                var isFile = disposition.IsFileDisposition();
                if (isFile && name == FileField && upload is null)
                {
                    var fileName = HeaderUtilities.RemoveQuotes(disposition.FileNameStar.HasValue ? disposition.FileNameStar : disposition.FileName).Value ?? "";
                    upload = await ImageUpload.ReadAsync(fileName, section.Body, request.ContentLength is { } length ? (int)Math.Min(length, limit) : 0, cancellationToken);
                    continue;
                }

                others.Add(isFile ? $"'{name}' (file)" : $"'{name}'");
                await section.Body.CopyToAsync(Stream.Null, cancellationToken);
            }
        }
        catch (Exception ex) when (ex is BadHttpRequestException or InvalidDataException or IOException)
        {
            upload?.Dispose();
            return (null, ex switch
            {
                BadHttpRequestException bad => bad.StatusCode == StatusCodes.Status413PayloadTooLarge ? ClientError.BodyTooLarge(limit) : ClientError.Malformed($"Malformed request body: {bad.Message}"),
                // The multipart reader reports its length limit as InvalidDataException("... limit ...").
                InvalidDataException data => data.Message.Contains("limit", StringComparison.OrdinalIgnoreCase)
                    ? ClientError.BodyTooLarge(limit)
                    : ClientError.Malformed($"Malformed multipart/form-data body: {data.Message}"),
                _ => ClientError.Malformed($"The request body could not be read: {ex.Message}"),
            });
        }
        catch
        {
            upload?.Dispose();
            throw;
        }

        if (upload is null)
        {
            return (null, MissingFile(others));
        }

        if (upload.Length == 0)
        {
            upload.Dispose();
            return (null, new ClientError(StatusCodes.Status400BadRequest, "empty",
                $"The uploaded file '{upload.FileName}' is empty (0 bytes). Send a JPEG, PNG, WebP, BMP or GIF image."));
        }

        return (upload, null);
    }

    /// <summary>
    /// The form reader enforces the limit; Kestrel's hard cap sits above it so that, after a 413, Kestrel can still
    /// drain a moderately oversized body and the client reads the answer instead of a broken pipe.
    /// </summary>
    public static void AllowDrainingOversizedBodies(HttpContext context, long limit)
    {
        if (context.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } sizeFeature)
        {
            sizeFeature.MaxRequestBodySize = 2 * limit + 1024 * 1024;
        }
    }

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

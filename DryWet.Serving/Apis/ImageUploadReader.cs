using System.Buffers;
using Microsoft.AspNetCore.Http.Features;
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

        IFormFile? file;
        try
        {
            // Typical photos stay in memory instead of a temp file.
            var form = await request.ReadFormAsync(new FormOptions { MultipartBodyLengthLimit = limit, MemoryBufferThreshold = 8 * 1024 * 1024 }, cancellationToken);
            file = form.Files.GetFile(FileField);
            if (file is null)
            {
                return (null, MissingFile(form));
            }
        }
        catch (BadHttpRequestException ex)
        {
            return (null, ex.StatusCode == StatusCodes.Status413PayloadTooLarge ? ClientError.BodyTooLarge(limit) : ClientError.Malformed($"Malformed request body: {ex.Message}"));
        }
        catch (InvalidDataException ex)
        {
            // The multipart reader reports its length limit as InvalidDataException("... limit ...").
            return (null, ex.Message.Contains("limit", StringComparison.OrdinalIgnoreCase)
                ? ClientError.BodyTooLarge(limit)
                : ClientError.Malformed($"Malformed multipart/form-data body: {ex.Message}"));
        }
        catch (IOException ex)
        {
            return (null, ClientError.Malformed($"The request body could not be read: {ex.Message}"));
        }

        if (file.Length == 0)
        {
            return (null, new ClientError(StatusCodes.Status400BadRequest, "empty",
                $"The uploaded file '{file.FileName}' is empty (0 bytes). Send a JPEG, PNG, WebP, BMP or GIF image."));
        }

        var upload = new ImageUpload(file.FileName, (int)file.Length);
        try
        {
            await using var stream = file.OpenReadStream();
            await stream.ReadExactlyAsync(upload.Memory, cancellationToken);
            return (upload, null);
        }
        catch
        {
            upload.Dispose();
            throw;
        }
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

    private static ClientError MissingFile(IFormCollection form)
    {
        if (form.ContainsKey(FileField))
        {
            return new ClientError(StatusCodes.Status400BadRequest, "missing_file",
                $"Field '{FileField}' was sent as text, not as a file upload. Send it as a file part (curl: -F \"{FileField}=@road.jpg\").");
        }

        var found = form.Files.Select(f => $"'{f.Name}' (file)").Concat(form.Keys.Select(k => $"'{k}'")).ToList();
        var detail = found.Count == 0 ? "the form is empty" : $"found {string.Join(", ", found)}";
        return new ClientError(StatusCodes.Status400BadRequest, "missing_file",
            $"Missing file field '{FileField}': {detail}. Send the image as multipart/form-data file field '{FileField}'.");
    }
}

/// <summary>An uploaded image's bytes in a pooled buffer; dispose to return it.</summary>
internal sealed class ImageUpload(string fileName, int length) : IDisposable
{
    private byte[]? _buffer = ArrayPool<byte>.Shared.Rent(length);

    public string FileName { get; } = fileName;
    public int Length { get; } = length;
    public Memory<byte> Memory => _buffer.AsMemory(0, Length);

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _buffer, null) is { } buffer)
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }
}

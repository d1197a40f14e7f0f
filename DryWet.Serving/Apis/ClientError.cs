using DryWet.Core.Imaging;
using DryWet.Serving.Telemetry;
using Microsoft.AspNetCore.Http.HttpResults;

namespace DryWet.Serving.Apis;

/// <summary>
/// A refused input: HTTP status, the <c>drywet_rejected_images_total</c> reason, and the message for the client.
/// The one place that words body-size, media-type and bad-image answers for every endpoint.
/// </summary>
internal sealed record ClientError(int Status, string Reason, string Message)
{
    public static ClientError BodyTooLarge(long limit, long? actual = null) => new(StatusCodes.Status413PayloadTooLarge, "body_too_large",
        (actual is { } bytes ? $"The request body is {bytes} bytes; the limit is {limit} bytes" : $"The request body exceeds the limit of {limit} bytes")
        + " (Serving:MaxRequestBodyBytes). Send a smaller image.");

    public static ClientError UnsupportedMediaType(string? contentType, string expected) => new(StatusCodes.Status415UnsupportedMediaType, "content_type",
        $"Content-Type '{(string.IsNullOrEmpty(contentType) ? "(none)" : contentType)}' is not supported: send {expected}.");

    public static ClientError Malformed(string message) => new(StatusCodes.Status400BadRequest, "malformed_body", message);

    /// <summary>An image the preprocessor refused: empty 400, not an image 415, too many pixels 413, corrupt 422.</summary>
    public static ClientError FromImage(InvalidImageException error, string? where = null)
    {
        var (status, reason) = error switch
        {
            EmptyImageException => (StatusCodes.Status400BadRequest, "empty"),
            UnsupportedImageFormatException => (StatusCodes.Status415UnsupportedMediaType, "unsupported_format"),
            ImageTooLargeException => (StatusCodes.Status413PayloadTooLarge, "too_many_pixels"),
            _ => (StatusCodes.Status422UnprocessableEntity, "corrupt"),
        };
        var message = error is ImageTooLargeException ? $"{error.Message} (Serving:MaxImagePixels, Serving:MaxImageDimension)" : error.Message;
        return new ClientError(status, reason, where is null ? message : $"{where}: {message}");
    }

    /// <summary>Counts the rejection once and answers <c>{"error": message}</c>.</summary>
    public JsonHttpResult<ErrorResponse> ToResult(ServingTelemetry telemetry)
    {
        telemetry.RecordRejectedImage(Reason);
        return TypedResults.Json(new ErrorResponse(Message), statusCode: Status);
    }
}

using System.Buffers;
using System.Diagnostics;
using DryWet.Core.Imaging;
using DryWet.Serving.Inference;
using DryWet.Serving.Telemetry;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;
using Microsoft.Net.Http.Headers;

namespace DryWet.Serving.Apis;

/// <summary><c>POST /predict</c>: multipart field <c>file</c> → dry/wet with probabilities.</summary>
public static class PredictionApi
{
    public const string FileField = "file";
    private const string NoModelError = "Model is not loaded, cannot perform prediction.";

    public static IEndpointRouteBuilder MapPredictionApi(this IEndpointRouteBuilder app)
    {
        app.MapPost("/predict", PredictAsync)
            .WithName("Predict")
            .WithSummary("Classify a road image as dry or wet")
            .WithDescription("multipart/form-data with the image (JPEG, PNG, WebP, BMP, GIF) in the field 'file'.")
            .Accepts<IFormFile>("multipart/form-data")
            .DisableAntiforgery();
        return app;
    }

    internal sealed record PredictionServices(ModelHost Host, ServingTelemetry Telemetry, IOptions<ServingOptions> Options, ILogger<PredictionServices> Logger);

    internal static async Task<Results<Ok<PredictionResponse>, JsonHttpResult<ErrorResponse>, JsonHttpResult<ModelUnavailableResponse>, JsonHttpResult<PredictionFailedResponse>>>
        PredictAsync(HttpContext context, [AsParameters] PredictionServices services, CancellationToken cancellationToken)
    {
        var limit = services.Options.Value.MaxRequestBodyBytes;
        if (!MediaTypeHeaderValue.TryParse(context.Request.ContentType, out var mediaType)
            || !mediaType.MediaType.Equals("multipart/form-data", StringComparison.OrdinalIgnoreCase))
        {
            return Reject(services, StatusCodes.Status415UnsupportedMediaType, "content_type",
                $"Content-Type '{context.Request.ContentType ?? "(none)"}' is not supported: send multipart/form-data with the image in the field '{FileField}'.");
        }

        if (context.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } sizeFeature)
        {
            // The form reader enforces the limit; Kestrel's hard cap sits above it so that, after a 413, Kestrel can
            // still drain a moderately oversized body and the client reads the answer instead of a broken pipe.
            sizeFeature.MaxRequestBodySize = 2 * limit + 1024 * 1024;
        }

        if (context.Request.ContentLength > limit)
        {
            return Reject(services, StatusCodes.Status413PayloadTooLarge, "body_too_large",
                $"The request body is {context.Request.ContentLength} bytes; the limit is {limit} bytes (Serving:MaxRequestBodyBytes). Send a smaller image.");
        }

        IFormFile? file;
        try
        {
            var form = await context.Request.ReadFormAsync(new FormOptions
            {
                MultipartBodyLengthLimit = limit,
                // Typical photos stay in memory instead of a temp file.
                MemoryBufferThreshold = 8 * 1024 * 1024,
            }, cancellationToken);
            file = form.Files.GetFile(FileField);
            if (file is null && form.ContainsKey(FileField))
            {
                return Reject(services, StatusCodes.Status400BadRequest, "missing_file",
                    $"Field '{FileField}' was sent as text, not as a file upload. Send it as a file part (curl: -F \"{FileField}=@road.jpg\").");
            }

            if (file is null)
            {
                var found = form.Files.Select(f => $"'{f.Name}' (file)").Concat(form.Keys.Select(k => $"'{k}'")).ToList();
                var detail = found.Count == 0 ? "the form is empty" : $"found {string.Join(", ", found)}";
                return Reject(services, StatusCodes.Status400BadRequest, "missing_file",
                    $"Missing file field '{FileField}': {detail}. Send the image as multipart/form-data file field '{FileField}'.");
            }
        }
        catch (BadHttpRequestException ex)
        {
            var status = ex.StatusCode == StatusCodes.Status413PayloadTooLarge ? 413 : 400;
            return Reject(services, status, status == 413 ? "body_too_large" : "malformed_body",
                status == 413 ? $"The request body exceeds the limit of {limit} bytes (Serving:MaxRequestBodyBytes). Send a smaller image." : $"Malformed request body: {ex.Message}");
        }
        catch (InvalidDataException ex)
        {
            var tooLarge = ex.Message.Contains("limit", StringComparison.OrdinalIgnoreCase);
            return Reject(services, tooLarge ? 413 : 400, tooLarge ? "body_too_large" : "malformed_body",
                tooLarge ? $"The request body exceeds the limit of {limit} bytes (Serving:MaxRequestBodyBytes). Send a smaller image."
                    : $"Malformed multipart/form-data body: {ex.Message}");
        }
        catch (IOException ex)
        {
            return Reject(services, StatusCodes.Status400BadRequest, "malformed_body", $"The request body could not be read: {ex.Message}");
        }

        if (file.Length == 0)
        {
            return Reject(services, StatusCodes.Status400BadRequest, "empty", $"The uploaded file '{file.FileName}' is empty (0 bytes). Send a JPEG, PNG, WebP, BMP or GIF image.");
        }

        using var lease = services.Host.TryAcquire();
        if (lease is null)
        {
            return TypedResults.Json(new ModelUnavailableResponse(NoModelError, services.Host.UnavailableReason), statusCode: StatusCodes.Status503ServiceUnavailable);
        }

        var model = lease.Model;
        var length = (int)file.Length;
        var encoded = ArrayPool<byte>.Shared.Rent(length);
        var tensor = ArrayPool<float>.Shared.Rent(model.Preprocessor.TensorLength);
        try
        {
            await using (var stream = file.OpenReadStream())
            {
                await stream.ReadExactlyAsync(encoded.AsMemory(0, length), cancellationToken);
            }

            Preprocess(model.Preprocessor, encoded.AsSpan(0, length), tensor, services.Telemetry);
            var probabilities = await model.Scheduler.ClassifyAsync(tensor, cancellationToken);
            var best = 0;
            var byLabel = new Dictionary<string, float>(model.Labels.Count);
            for (var i = 0; i < probabilities.Length; i++)
            {
                byLabel[model.Labels[i]] = probabilities[i];
                best = probabilities[i] > probabilities[best] ? i : best;
            }

            services.Telemetry.RecordPrediction(model.Labels[best]);
            return TypedResults.Ok(new PredictionResponse(model.Labels[best], byLabel, model.Descriptor.Version, model.Descriptor.Name));
        }
        catch (InvalidImageException ex)
        {
            var (status, reason) = ex switch
            {
                EmptyImageException => (400, "empty"),
                UnsupportedImageFormatException => (415, "unsupported_format"),
                ImageTooLargeException => (413, "too_many_pixels"),
                _ => (422, "corrupt"),
            };
            return Reject(services, status, reason, ex.Message);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            services.Logger.LogError(ex, "Prediction failed for '{File}' ({Bytes} bytes)", file.FileName, length);
            return TypedResults.Json(new PredictionFailedResponse("An error occurred during prediction.", ex.GetType().Name, ex.Message),
                statusCode: StatusCodes.Status500InternalServerError);
        }
        finally
        {
            ArrayPool<float>.Shared.Return(tensor);
            ArrayPool<byte>.Shared.Return(encoded);
        }
    }

    private static void Preprocess(ImagePreprocessor preprocessor, ReadOnlySpan<byte> encoded, float[] tensor, ServingTelemetry telemetry)
    {
        using var activity = ServingTelemetry.ActivitySource.StartActivity("preprocess");
        var started = Stopwatch.GetTimestamp();
        SkiaSharp.SKBitmap bitmap;
        using (ServingTelemetry.ActivitySource.StartActivity("decode"))
        {
            bitmap = preprocessor.DecodeBitmap(encoded);
            telemetry.RecordDecode(Stopwatch.GetElapsedTime(started).TotalSeconds);
        }

        using (bitmap)
        {
            preprocessor.ToTensor(bitmap, tensor);
        }

        telemetry.RecordPreprocess(Stopwatch.GetElapsedTime(started).TotalSeconds);
    }

    private static JsonHttpResult<ErrorResponse> Reject(PredictionServices services, int status, string reason, string message)
    {
        services.Telemetry.RecordRejectedImage(reason);
        return TypedResults.Json(new ErrorResponse(message), statusCode: status);
    }
}

using System.Net;

namespace DryWet.Web.Extensions;

/// <summary>
/// Answers an oversized form post with 413 and a sentence naming both sizes, before the form reader would fail
/// half-way with an exception (the page's script already refuses such files; this is for everything else).
/// </summary>
public sealed class UploadLimitMiddleware(RequestDelegate next, WebOptions options)
{
    // Room for the other form fields and multipart boundaries around the file.
    private const long FormOverhead = 64 * 1024;

    public async Task InvokeAsync(HttpContext context)
    {
        if (HttpMethods.IsPost(context.Request.Method) && context.Request.ContentLength is { } length && length > options.MaxUploadBytes + FormOverhead)
        {
            context.Response.StatusCode = StatusCodes.Status413PayloadTooLarge;
            context.Response.ContentType = "text/html; charset=utf-8";
            var message = WebUtility.HtmlEncode($"The upload is {length} bytes; this page accepts images up to {options.MaxUploadBytes} bytes (Web:MaxUploadBytes). Choose a smaller image.");
            await context.Response.WriteAsync($"<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Too large · DryWet</title></head><body><main><h1>Image too large</h1><p role=\"alert\">{message}</p><p><a href=\"{WebUtility.HtmlEncode(context.Request.PathBase + "/")}\">Back to Try it</a></p></main></body></html>");
            return;
        }

        await next(context);
    }
}

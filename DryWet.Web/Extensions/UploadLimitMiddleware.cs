using System.Net;
using Microsoft.AspNetCore.Http.Features;

namespace DryWet.Web.Extensions;

/// <summary>
/// Answers an oversized post with 413 and a sentence naming the limit, before a form reader fails half-way (which the
/// page could only report as an expired form): a Content-Length over <c>Web:MaxUploadBytes</c> (plus room for the other
/// fields) is refused unread; a chunked form is read here, where its size shows, and kept for the page. The page's
/// script already refuses such files; this is for everything else.
/// </summary>
public sealed class UploadLimitMiddleware(RequestDelegate next, WebOptions options)
{
    /// <summary>Room for the other form fields and multipart boundaries around the file.</summary>
    public const long FormOverhead = 64 * 1024;

    public async Task InvokeAsync(HttpContext context)
    {
        var request = context.Request;
        if (!HttpMethods.IsPost(request.Method))
        {
            await next(context);
            return;
        }

        var limit = options.MaxUploadBytes + FormOverhead;
        // Kestrel's hard cap (30,000,000 bytes by default) must not cut off a larger Web:MaxUploadBytes: it is raised to
        // sit above the limit, which is enforced here and by the form reader, so that Kestrel can still drain a
        // moderately oversized body and the client reads the 413 rather than a broken pipe.
        var drainable = 2 * limit + 1024 * 1024;
        if (context.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } size && size.MaxRequestBodySize < drainable)
        {
            size.MaxRequestBodySize = drainable;
        }

        if (request.ContentLength is { } length && length > limit)
        {
            await RefuseAsync(context, $"The upload is {length} bytes; this page accepts images up to {options.MaxUploadBytes} bytes (Web:MaxUploadBytes). Choose a smaller image.");
            return;
        }

        if (request.ContentLength is null && request.HasFormContentType && await OverLimitAsync(context) is { } reason)
        {
            await RefuseAsync(context, $"The upload is too large ({reason}); this page accepts images up to {options.MaxUploadBytes} bytes (Web:MaxUploadBytes). Choose a smaller image.");
            return;
        }

        await next(context);
    }

    /// <summary>
    /// Reads a chunked form (each part bounded by the form options, the whole by Kestrel's cap); the reader's words when
    /// a limit was hit, else null. A malformed form passes on: the same failure reaches the page's own checks.
    /// </summary>
    private static async Task<string?> OverLimitAsync(HttpContext context)
    {
        try
        {
            await context.Request.ReadFormAsync(context.RequestAborted);
            return null;
        }
        catch (BadHttpRequestException ex) when (ex.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            return ex.Message;
        }
        catch (InvalidDataException ex) when (ex.Message.Contains("limit", StringComparison.OrdinalIgnoreCase))
        {
            return ex.Message;
        }
        catch (Exception ex) when (ex is InvalidDataException or IOException)
        {
            return null;
        }
    }

    private static async Task RefuseAsync(HttpContext context, string text)
    {
        context.Response.StatusCode = StatusCodes.Status413PayloadTooLarge;
        context.Response.ContentType = "text/html; charset=utf-8";
        var message = WebUtility.HtmlEncode(text);
        await context.Response.WriteAsync($"<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Too large · DryWet</title></head><body><main><h1>Image too large</h1><p role=\"alert\">{message}</p><p><a href=\"{WebUtility.HtmlEncode(context.Request.PathBase + "/")}\">Back to Try it</a></p></main></body></html>");
    }
}

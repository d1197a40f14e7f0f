namespace DryWet.Web.Extensions;

/// <summary>
/// Every response says <c>X-Content-Type-Options: nosniff</c>, and carries the pages' Content-Security-Policy unless
/// its endpoint set a stricter one (package reports). The pages need only their own stylesheet, scripts and images:
/// no inline script or style, no eval, no frames.
/// </summary>
public sealed class SecurityHeadersMiddleware(RequestDelegate next)
{
    public const string PagePolicy =
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'";

    public Task InvokeAsync(HttpContext context)
    {
        context.Response.OnStarting(() =>
        {
            var headers = context.Response.Headers;
            headers.XContentTypeOptions = "nosniff";
            if (!headers.ContainsKey("Content-Security-Policy"))
            {
                headers.ContentSecurityPolicy = PagePolicy;
            }

            headers["Referrer-Policy"] = "same-origin";
            return Task.CompletedTask;
        });
        return next(context);
    }
}

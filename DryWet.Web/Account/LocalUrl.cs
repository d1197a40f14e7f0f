using Microsoft.AspNetCore.Http.HttpResults;

namespace DryWet.Web.Account;

/// <summary>
/// Return URLs are app-relative ("review?class=wet"; a leading '/' is accepted). ASP.NET's local-URL check decides:
/// anything absolute (a scheme), protocol-relative (<c>//evil</c>, <c>/\evil</c>) or with a control character (<c>%09/evil</c>,
/// which browsers strip into <c>//evil</c>) becomes the app's root.
/// </summary>
public static class LocalUrl
{
    /// <summary>The app-relative target: <paramref name="whenMissing"/> without a URL, "" (the app's root) for one that is not local.</summary>
    public static string OrDefault(string? url, string whenMissing)
    {
        if (string.IsNullOrWhiteSpace(url))
        {
            return whenMissing;
        }

        // "https://evil" or "javascript:…" would become a harmless path here, but say no to them rather than guess.
        var rooted = url.StartsWith('/') ? url : Uri.TryCreate(url, UriKind.Absolute, out _) ? "//" : "/" + url;
        return url.Length <= 500 && RedirectHttpResult.IsLocalUrl(rooted) ? rooted[1..] : "";
    }

    public static string WithQuery(string page, string key, string value, string returnUrl) =>
        $"{page}?{key}={Uri.EscapeDataString(value)}&returnUrl={Uri.EscapeDataString(returnUrl)}";
}

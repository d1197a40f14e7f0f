namespace DryWet.Web.Account;

/// <summary>Return URLs are app-relative paths ("review?class=wet"): anything absolute or protocol-relative is replaced.</summary>
public static class LocalUrl
{
    public static string OrDefault(string? url, string fallback)
    {
        if (string.IsNullOrWhiteSpace(url))
        {
            return fallback;
        }

        var trimmed = url.TrimStart('/');
        return url.Contains("://", StringComparison.Ordinal) || url.StartsWith("//", StringComparison.Ordinal) || url.Contains('\\')
            || trimmed.Length == 0 || trimmed.Length > 500
            ? fallback
            : trimmed;
    }

    public static string WithQuery(string page, string key, string value, string returnUrl) =>
        $"{page}?{key}={Uri.EscapeDataString(value)}&returnUrl={Uri.EscapeDataString(returnUrl)}";
}

using Microsoft.AspNetCore.Http.HttpResults;

namespace DryWet.Web.Models;

/// <summary>
/// <c>GET /model/reports/{version}/{file}</c>: a picture from a version's model package (learning curves, confusion
/// matrix). A package is not trusted to be harmless (an SVG may carry a script): each answer is sandboxed with
/// <c>Content-Security-Policy: default-src 'none'; sandbox</c> and <c>nosniff</c>, so opened on its own it runs nothing.
/// </summary>
public static class ModelReportsApi
{
    public static IEndpointRouteBuilder MapModelReportsApi(this IEndpointRouteBuilder app)
    {
        app.MapGet("/model/reports/{version}/{file}", ReportAsync);
        return app;
    }

    public const string ReportPolicy = "default-src 'none'; sandbox";

    internal static async Task<Results<PhysicalFileHttpResult, NotFound<string>>> ReportAsync(
        string version, string file, HttpContext context, ModelOverviewReader reader, CancellationToken cancellationToken)
    {
        context.Response.Headers.ContentSecurityPolicy = ReportPolicy;
        context.Response.Headers.XContentTypeOptions = "nosniff";
        if (!ModelOverviewReader.IsPicture(file) || file.Contains('/') || file.Contains('\\') || file.StartsWith('.'))
        {
            return TypedResults.NotFound($"'{file}' is not a report picture (png, jpg or svg in the package folder).");
        }

        if (await reader.FindAsync(version, cancellationToken) is not { } found)
        {
            return TypedResults.NotFound($"Version '{version}' is not among the registry's newest {ModelOverviewReader.MaxVersions} versions.");
        }

        var path = Path.Combine(await reader.PackageDirectoryAsync(found, cancellationToken), file);
        var type = file.EndsWith(".svg", StringComparison.OrdinalIgnoreCase) ? "image/svg+xml" : file.EndsWith(".png", StringComparison.OrdinalIgnoreCase) ? "image/png" : "image/jpeg";
        return File.Exists(path) ? TypedResults.PhysicalFile(path, type) : TypedResults.NotFound($"Version {version}'s package has no '{file}'.");
    }
}

using Microsoft.AspNetCore.Http.HttpResults;

namespace DryWet.Web.Models;

/// <summary><c>GET /model/reports/{version}/{file}</c>: a picture from a version's model package (learning curves, confusion matrix).</summary>
public static class ModelReportsApi
{
    public static IEndpointRouteBuilder MapModelReportsApi(this IEndpointRouteBuilder app)
    {
        app.MapGet("/model/reports/{version}/{file}", ReportAsync);
        return app;
    }

    internal static async Task<Results<PhysicalFileHttpResult, NotFound<string>>> ReportAsync(
        string version, string file, ModelOverviewReader reader, CancellationToken cancellationToken)
    {
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

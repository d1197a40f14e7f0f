using System.Net;
using System.Text.Json;
using DryWet.Core.Registry;
using DryWet.Core.Tracking;
using DryWet.Tests.Serving;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace DryWet.Tests.Registry;

/// <summary>What train does before registering, for the registry tests: a real ONNX package logged to a run, then registered.</summary>
internal static class RegistryTestModels
{
    /// <summary>
    /// Logs a "wet when blue outweighs red" package (k &gt; 0; its inverse for k &lt; 0; with k = 0 the larger
    /// <paramref name="bias"/> [dry, wet] always wins; <paramref name="onnx"/> instead when given) at 24 px to a new run and registers it.
    /// </summary>
    public static async Task<ModelVersion> LogAndRegisterAsync(IHost platform, string workFolder, float k, string? description = null,
        string model = "dry_wet_model", float[]? bias = null, byte[]? onnx = null)
    {
        var ct = TestContext.Current.CancellationToken;
        var tracker = platform.Services.GetRequiredService<IExperimentTracker>();
        var registry = platform.Services.GetRequiredService<IModelRegistry>();
        var package = TestModels.WritePackage(Path.Combine(workFolder, Guid.NewGuid().ToString("N")), onnx ?? TestModels.BlueVersusRed(k, bias: bias), imgSize: 24);
        await using var run = await tracker.StartRunAsync("dry-wet-classification", cancellationToken: ct);
        var logged = await run.LogModelAsync(package, cancellationToken: ct);
        await run.EndAsync(RunOutcome.Finished, ct);
        // As the trainer registers: from the LoggedModel, linked by its id.
        return await registry.RegisterAsync(model, logged.ModelArtifactUri ?? logged.RunArtifactUri, run.RunId, description, logged.ModelId, ct);
    }

    /// <summary>POST /predict with a generated road image; the predicted class.</summary>
    public static async Task<string> PredictAsync(HttpClient client, bool wet)
    {
        var ct = TestContext.Current.CancellationToken;
        using var response = await client.PostAsync("/predict", ServingApp.ImageForm(TestImages.Road(wet)), ct);
        response.StatusCode.ShouldBe(HttpStatusCode.OK);
        return (await Json(response)).GetProperty("prediction").GetString()!;
    }

    public static async Task<JsonElement> Json(HttpResponseMessage response) =>
        JsonDocument.Parse(await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken)).RootElement.Clone();
}

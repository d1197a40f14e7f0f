using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using DryWet.Benchmarks.Serving;
using DryWet.Serving.Inference;
using DryWet.Tests.Training;
using Microsoft.Extensions.DependencyInjection;

namespace DryWet.Tests.Serving;

public class ModelApiTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static async Task<JsonElement> JsonAsync(HttpResponseMessage response) =>
        JsonDocument.Parse(await response.Content.ReadAsStringAsync(Ct)).RootElement.Clone();

    private static string[] Keys(JsonElement e) => e.EnumerateObject().Select(p => p.Name).ToArray();

    [Fact]
    public async Task Status_and_model_info_have_the_original_keys_and_types()
    {
        using var folder = new TempFolder();
        var package = TestModels.WritePackage(folder.Sub("pkg"), TestModels.BlueVersusRed(), imgSize: 24);
        var (app, client) = await ServingApp.StartAsync(new Dictionary<string, string?> { ["Model:Path"] = package });
        await using var _ = app;

        var status = await JsonAsync(await client.GetAsync("/", Ct));
        // The original's keys first, in its order; DryWet's additions after.
        Keys(status).Take(5).ShouldBe(["status", "model_loaded", "model_version", "model_stage", "image_version"]);
        status.GetProperty("status").GetString().ShouldBe("ok");
        status.GetProperty("model_loaded").GetBoolean().ShouldBeTrue();
        status.GetProperty("model_stage").GetString().ShouldBe("Production");
        status.GetProperty("image_version").GetString().ShouldBe("unknown");

        var info = await JsonAsync(await client.GetAsync("/model/info", Ct));
        Keys(info).Take(6).ShouldBe(["model_name", "model_version", "model_stage", "model_description", "creation_timestamp", "last_updated_timestamp"]);
        info.GetProperty("model_name").GetString().ShouldBe("dry_wet_model");
        info.GetProperty("model_version").GetString().ShouldBe(status.GetProperty("model_version").GetString());
        info.GetProperty("creation_timestamp").ValueKind.ShouldBe(JsonValueKind.Number);
        info.GetProperty("last_updated_timestamp").GetInt64().ShouldBeGreaterThanOrEqualTo(info.GetProperty("creation_timestamp").GetInt64());
        info.GetProperty("execution_provider").GetString().ShouldBe("CPUExecutionProvider");
        info.GetProperty("input_name").GetString().ShouldBe(TestModels.InputName);
        info.GetProperty("output_name").GetString().ShouldBe(TestModels.OutputName);
        (info.GetProperty("input_width").GetInt32(), info.GetProperty("input_height").GetInt32()).ShouldBe((24, 24));
        info.GetProperty("labels").EnumerateArray().Select(l => l.GetString()).ShouldBe(["dry", "wet"]);
        (await client.GetAsync("/health", Ct)).StatusCode.ShouldBe(HttpStatusCode.OK);
    }

    [Fact]
    public async Task A_foreign_package_with_a_fixed_input_size_and_probability_output_is_served_at_the_models_size()
    {
        using var folder = new TempFolder();
        // No config.yaml: the fallback says 224 px, but the graph is fixed at 40×40 and must win. Output is already softmax.
        var package = TestModels.WriteForeignPackage(folder.Sub("foreign"), TestModels.BlueVersusRed(k: 2, size: 40, probabilities: true, fixedBatch: 1));
        var (app, client) = await ServingApp.StartAsync(new Dictionary<string, string?> { ["Model:Path"] = package });
        await using var _ = app;

        var info = await JsonAsync(await client.GetAsync("/model/info", Ct));
        (info.GetProperty("input_width").GetInt32(), info.GetProperty("input_height").GetInt32()).ShouldBe((40, 40));
        info.GetProperty("max_batch_size").GetInt32().ShouldBe(1);

        var colour = new SkiaSharp.SKColor(200, 90, 30);
        using var response = await client.PostAsync("/predict", ServingApp.ImageForm(TestImages.Solid(colour, 50), contentType: "image/png"), Ct);
        var body = await JsonAsync(response);
        response.StatusCode.ShouldBe(HttpStatusCode.OK);
        body.GetProperty("prediction").GetString().ShouldBe("dry");
        // ImageNet fallback normalization; probabilities are passed through, not soft-maxed twice.
        float Norm(byte v, float m, float s) => (v / 255f - m) / s;
        var expected = TestModels.WetProbability(2, Norm(colour.Red, 0.485f, 0.229f), Norm(colour.Blue, 0.406f, 0.225f));
        body.GetProperty("probabilities").GetProperty("wet").GetDouble().ShouldBe(expected, 1e-4);
    }

    [Fact]
    public async Task Without_a_model_the_server_runs_but_is_not_ready_and_predict_answers_503()
    {
        using var folder = new TempFolder();
        var (app, client) = await ServingApp.StartAsync(new Dictionary<string, string?> { ["Model:Path"] = folder.Sub("missing") }, waitForModel: false);
        await using var _ = app;
        var host = app.Services.GetRequiredService<ModelHost>();
        for (var i = 0; i < 200 && host.UnavailableReason == "The model is still loading."; i++)
        {
            await Task.Delay(25, Ct);
        }

        var status = await JsonAsync(await client.GetAsync("/", Ct));
        status.GetProperty("model_loaded").GetBoolean().ShouldBeFalse();
        status.GetProperty("model_version").ValueKind.ShouldBe(JsonValueKind.Null);
        status.GetProperty("model_error").GetString()!.ShouldContain("does not exist");

        using var info = await client.GetAsync("/model/info", Ct);
        info.StatusCode.ShouldBe(HttpStatusCode.NotFound);
        (await info.Content.ReadAsStringAsync(Ct)).ShouldBe("{\"error\":\"No model loaded\"}");

        using var predict = await client.PostAsync("/predict", ServingApp.ImageForm(TestImages.Road(true)), Ct);
        predict.StatusCode.ShouldBe(HttpStatusCode.ServiceUnavailable);
        predict.Headers.RetryAfter!.Delta.ShouldBe(TimeSpan.FromSeconds(5));
        var body = await JsonAsync(predict);
        body.GetProperty("error").GetString().ShouldBe("Model is not loaded, cannot perform prediction.");
        body.GetProperty("reason").GetString()!.ShouldContain("missing");

        (await client.GetAsync("/health", Ct)).StatusCode.ShouldBe(HttpStatusCode.ServiceUnavailable);
        (await client.GetAsync("/alive", Ct)).StatusCode.ShouldBe(HttpStatusCode.OK);
    }

    [Fact]
    public async Task A_failed_reload_under_load_changes_nothing_and_a_good_one_swaps_without_failed_predictions()
    {
        using var folder = new TempFolder();
        var package = TestModels.WritePackage(folder.Sub("pkg"), TestModels.BlueVersusRed(k: 4), imgSize: 32);
        var (app, client) = await ServingApp.StartAsync(new Dictionary<string, string?> { ["Model:Path"] = package });
        await using var _ = app;
        var v1 = (await JsonAsync(await client.GetAsync("/model/info", Ct))).GetProperty("model_version").GetString();

        using var stop = new CancellationTokenSource();
        var failures = 0;
        var successes = 0;
        var versions = new System.Collections.Concurrent.ConcurrentDictionary<string, int>();
        var load = Enumerable.Range(0, 4).Select(worker => Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                using var response = await client.PostAsync("/predict", ServingApp.ImageForm(TestImages.Road(worker % 2 == 0)), CancellationToken.None);
                if (response.StatusCode == HttpStatusCode.OK
                    && (await JsonAsync(response)).GetProperty("prediction").GetString() == (worker % 2 == 0 ? "wet" : "dry"))
                {
                    Interlocked.Increment(ref successes);
                    versions.AddOrUpdate((await JsonAsync(response)).GetProperty("model_version").GetString()!, 1, (_, n) => n + 1);
                }
                else
                {
                    Interlocked.Increment(ref failures);
                }
            }
        }, CancellationToken.None)).ToArray();

        await Task.Delay(300, Ct);
        // Break the package in place: the ONNX file is garbage now.
        await File.WriteAllBytesAsync(Path.Combine(package, "model.onnx"), "not an onnx graph"u8.ToArray(), Ct);
        using (var failed = await client.PostAsync("/model/reload", null, Ct))
        {
            failed.StatusCode.ShouldBe(HttpStatusCode.InternalServerError);
            var body = await JsonAsync(failed);
            body.GetProperty("message").GetString().ShouldBe("Failed to reload model");
            body.GetProperty("status").GetString().ShouldBe("error");
            body.GetProperty("reason").GetString()!.ShouldContain("model.onnx");
            body.GetProperty("model_version").GetString().ShouldBe(v1);
        }

        (await JsonAsync(await client.GetAsync("/model/info", Ct))).GetProperty("model_version").GetString().ShouldBe(v1);
        await Task.Delay(200, Ct);

        TestModels.WritePackage(package, TestModels.BlueVersusRed(k: 6), imgSize: 32);
        using (var reloaded = await client.PostAsync("/model/reload", null, Ct))
        {
            reloaded.StatusCode.ShouldBe(HttpStatusCode.OK);
            var body = await JsonAsync(reloaded);
            body.GetProperty("message").GetString().ShouldBe("Model reloaded successfully");
            body.GetProperty("status").GetString().ShouldBe("success");
            body.GetProperty("model_version").GetString().ShouldNotBe(v1);
            body.GetProperty("previous_version").GetString().ShouldBe(v1);
        }

        await Task.Delay(300, Ct);
        await stop.CancelAsync();
        await Task.WhenAll(load);

        failures.ShouldBe(0);
        successes.ShouldBeGreaterThan(20);
        versions.Count.ShouldBe(2); // both models served, one after the other
        var metrics = await client.GetStringAsync("/metrics", Ct);
        metrics.ShouldContain("drywet_model_reloads_total{otel_scope_name=\"DryWet.Serving\",outcome=\"failure\"} 1");
    }

    [Fact]
    public async Task Concurrent_reloads_are_serialized_and_all_succeed()
    {
        using var folder = new TempFolder();
        var package = TestModels.WritePackage(folder.Sub("pkg"), TestModels.BlueVersusRed(), imgSize: 32);
        var (app, client) = await ServingApp.StartAsync(new Dictionary<string, string?> { ["Model:Path"] = package });
        await using var _ = app;

        var responses = await Task.WhenAll(Enumerable.Range(0, 5).Select(_ => client.PostAsync("/model/reload", null, Ct)));

        responses.ShouldAllBe(r => r.StatusCode == HttpStatusCode.OK);
        app.Services.GetRequiredService<ModelHost>().PeakConcurrentReloads.ShouldBe(1);
        using var predict = await client.PostAsync("/predict", ServingApp.ImageForm(TestImages.Road(true)), Ct);
        predict.StatusCode.ShouldBe(HttpStatusCode.OK);
    }

    [Fact]
    public async Task Reload_requires_the_admin_key_when_one_is_configured()
    {
        using var folder = new TempFolder();
        var package = TestModels.WritePackage(folder.Sub("pkg"), TestModels.BlueVersusRed(), imgSize: 32);
        var (app, client) = await ServingApp.StartAsync(new Dictionary<string, string?>
        {
            ["Model:Path"] = package,
            ["Serving:AdminApiKey"] = "s3cret-key",
        });
        await using var _ = app;

        async Task<HttpStatusCode> Reload(AuthenticationHeaderValue? auth)
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, "/model/reload") { Headers = { Authorization = auth } };
            using var response = await client.SendAsync(request, Ct);
            if (response.StatusCode == HttpStatusCode.Unauthorized)
            {
                response.Headers.WwwAuthenticate.ToString().ShouldBe("Bearer");
                (await JsonAsync(response)).GetProperty("error").GetString()!.ShouldContain("admin key");
            }

            return response.StatusCode;
        }

        (await Reload(null)).ShouldBe(HttpStatusCode.Unauthorized);
        (await Reload(new AuthenticationHeaderValue("Bearer", "wrong"))).ShouldBe(HttpStatusCode.Unauthorized);
        (await Reload(new AuthenticationHeaderValue("Basic", "s3cret-key"))).ShouldBe(HttpStatusCode.Unauthorized);
        (await Reload(new AuthenticationHeaderValue("Bearer", "s3cret-key"))).ShouldBe(HttpStatusCode.OK);
        // Predictions stay open.
        (await client.PostAsync("/predict", ServingApp.ImageForm(TestImages.Road(false)), Ct)).StatusCode.ShouldBe(HttpStatusCode.OK);
    }

    [Fact]
    public async Task A_model_that_is_not_an_image_classifier_is_refused_with_the_reason()
    {
        using var folder = new TempFolder();
        // Output [N, 3] but the package says two labels (dry, wet).
        var graph = new Onnx.GraphProto { Name = "three_classes" };
        graph.Input.Add(OnnxNodes.Tensor("x", OnnxNodes.Dim(null, "n"), OnnxNodes.Dim(3, null), OnnxNodes.Dim(16, null), OnnxNodes.Dim(16, null)));
        graph.Initializer.Add(OnnxNodes.Floats("w", [3, 3], [1, 0, 0, 0, 1, 0, 0, 0, 1]));
        graph.Node.Add(OnnxNodes.Node("GlobalAveragePool", ["x"], ["p"]));
        graph.Node.Add(OnnxNodes.Node("Flatten", ["p"], ["f"], ("axis", 1)));
        graph.Node.Add(OnnxNodes.Node("MatMul", ["f", "w"], ["y"]));
        graph.Output.Add(OnnxNodes.Tensor("y", OnnxNodes.Dim(null, "n"), OnnxNodes.Dim(3, null)));
        var package = TestModels.WritePackage(folder.Sub("pkg"), OnnxNodes.Model(graph), imgSize: 16);
        var (app, client) = await ServingApp.StartAsync(new Dictionary<string, string?> { ["Model:Path"] = package }, waitForModel: false);
        await using var _ = app;

        using var reload = await client.PostAsync("/model/reload", null, Ct);
        reload.StatusCode.ShouldBe(HttpStatusCode.InternalServerError);
        (await JsonAsync(reload)).GetProperty("reason").GetString()!.ShouldContain("3 classes");
    }

    [Fact]
    public async Task Open_inference_protocol_health_and_metadata_describe_the_served_model()
    {
        using var folder = new TempFolder();
        var package = TestModels.WritePackage(folder.Sub("pkg"), TestModels.BlueVersusRed(), imgSize: 32);
        var (app, client) = await ServingApp.StartAsync(new Dictionary<string, string?> { ["Model:Path"] = package });
        await using var _ = app;

        (await client.GetAsync("/v2/health/live", Ct)).StatusCode.ShouldBe(HttpStatusCode.OK);
        (await client.GetAsync("/v2/health/ready", Ct)).StatusCode.ShouldBe(HttpStatusCode.OK);
        (await client.GetAsync("/v2/models/dry_wet_model/ready", Ct)).StatusCode.ShouldBe(HttpStatusCode.OK);
        (await client.GetAsync("/v2/models/other/ready", Ct)).StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        (await client.GetAsync("/v2/models/other", Ct)).StatusCode.ShouldBe(HttpStatusCode.NotFound);

        var metadata = await JsonAsync(await client.GetAsync("/v2/models/dry_wet_model", Ct));
        metadata.GetProperty("platform").GetString().ShouldBe("onnxruntime_onnx");
        var input = metadata.GetProperty("inputs")[0];
        input.GetProperty("name").GetString().ShouldBe(TestModels.InputName);
        input.GetProperty("datatype").GetString().ShouldBe("FP32");
        input.GetProperty("shape").EnumerateArray().Select(d => d.GetInt64()).ShouldBe([-1L, 3, 32, 32]);
        metadata.GetProperty("outputs")[0].GetProperty("shape").EnumerateArray().Select(d => d.GetInt64()).ShouldBe([-1L, 2]);
    }
}

using System.Net;
using System.Text.Json;
using DryWet.Core.Registry;
using DryWet.Core.Tracking;
using DryWet.Tests.Serving;
using DryWet.Tests.Storage;
using DryWet.Tests.Tracking;
using DryWet.Tests.Training;
using DryWet.TrainingWorker.Data;
using Microsoft.Extensions.DependencyInjection;

namespace DryWet.Tests.Registry;

/// <summary>
/// The whole loop with the real trainer process (TorchSharp: run under the compat host, as ./test.sh does) and the
/// real serving app: sample data → train (tracks, registers, promotes) → serving resolves production → predicts;
/// a second training run → the polling server reloads the new version. Embedded, and on MLflow (fake) + MinIO (s3rver).
/// </summary>
public sealed class TrainRegisterServeEndToEndTests(S3rverFixture s3) : IClassFixture<S3rverFixture>, IDisposable
{
    private readonly string _work = TestFolders.NewTempDirectory("e2e");

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Embedded_sample_data_train_serve_predict_then_a_second_training_is_picked_up_by_the_running_server()
    {
        var home = Path.Combine(_work, "home");
        var env = new Dictionary<string, string> { ["DryWet__Home"] = home };
        // The training tests' CI recipe (efficientnet_tiny, 64 px, batch 8, 150 images per class) reaches val_acc ≥ 0.9;
        // one libtorch thread is the fastest on a busy 2-core machine (see docs/training.md).
        var data = SampleData(perClass: 150);
        var config = Config(epochs: 8);

        var first = await TrainerProcess.RunAsync(env, Ct, "train", "--threads", "1", "--config", config, "--data", data, "--output", Path.Combine(_work, "pkg1"));
        first.ExitCode.ShouldBe(0, first.StdErr + first.StdOut);

        using (var platform = PlatformHost.Build(home))
        {
            var production = await platform.Services.GetRequiredService<IModelRegistry>().ResolveAsync("dry_wet_model", cancellationToken: Ct);
            production.ShouldNotBeNull();
            production.Version.ShouldBe("1");
            production.Aliases.ShouldBe(["production"]);
            production.Description.ShouldMatch(@"^Dry/Wet road classifier trained with validation accuracy: [01]\.\d{4} — promotion gate: first: challenger [01]\.\d{4} vs no champion on 60 validation images: first model; INT8 (vouched|refused): INT8 [01]\.\d{4} vs fp32 [01]\.\d{4} on 60 images: drop -?[01]\.\d{4} (within|beyond) evaluation\.max_quantization_drop 0\.0050$");
            production.Tags["drywet.promotion"].ShouldBe("first");
            production.Tags["dataset.sha256"].Length.ShouldBe(64);
            var run = await platform.Services.GetRequiredService<ITrackedRunReader>().GetRunAsync(production.RunId!, Ct);
            run.Status.ShouldBe("FINISHED");
            run.Tags["dataset.sha256"].Length.ShouldBe(64);
            run.Tags["dataset.bytes"].ShouldBe(new FileInfo(data).Length.ToString());
            foreach (var param in new[] { "img_size", "batch_size", "epochs", "learning_rate", "weight_decay", "optimizer", "loss_function", "scheduler", "train_samples", "val_samples" })
            {
                run.Params.ShouldContainKey(param); // the original's params
            }

            run.Tags["classes"].ShouldBe("dry, wet");
            run.Metrics.Keys.ShouldContain("val_acc");
            run.Metrics.Keys.ShouldContain("best_val_acc");
            run.ArtifactPaths.ShouldContain("model/MLmodel");
        }

        var (app, client) = await ServingApp.StartAsync(new Dictionary<string, string?>
        {
            ["DryWet:Home"] = home,
            ["Model:PollInterval"] = "00:00:00.250",
        });
        await using var _ = app;
        var info = await Info(client);
        info.GetProperty("model_version").GetString().ShouldBe("1");
        (await AccuracyAsync(client)).ShouldBeGreaterThanOrEqualTo(0.8, $"{info}");

        // The second run only has to produce a new version that serving picks up; one epoch on 20 images per class keeps
        // the suite short, and --promote always takes it past the gate (which would keep the better 8-epoch champion).
        var second = await TrainerProcess.RunAsync(env, Ct, "train", "--threads", "1", "--config", Config(epochs: 1), "--data", SampleData(perClass: 20), "--output", Path.Combine(_work, "pkg2"), "--promote", "always");
        second.ExitCode.ShouldBe(0, second.StdErr + second.StdOut);

        // Liveness, not speed: a poll every 250 ms, then the load — with a vouched INT8 graph (Model:Precision auto) both
        // graphs' batch plans are timed first (up to Model:BatchTuningBudget, 3 s, each) — on a machine other tests load too.
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while ((await Info(client)).GetProperty("model_version").GetString() != "2")
        {
            DateTime.UtcNow.ShouldBeLessThan(deadline, "the server did not reload version 2");
            await Task.Delay(100, Ct);
        }

        using var response = await client.PostAsync("/predict", ServingApp.ImageForm(SyntheticRoadGenerator.DrawJpeg(true, 64, seed: 1)), Ct);
        response.StatusCode.ShouldBe(HttpStatusCode.OK);
        (await response.Content.ReadAsStringAsync(Ct)).ShouldContain("\"model_version\":\"2\"");
    }

    [Fact]
    public async Task On_MLflow_and_MinIO_a_failed_registration_fails_the_run_and_leaves_no_version_and_the_next_run_registers()
    {
        await using var mlflow = await FakeMlflowServer.StartAsync();
        var key = $"datasets/{Guid.NewGuid():N}.zip";
        await s3.CreateStore().UploadFileAsync(S3rverFixture.PreconfiguredBucket, key, SampleData(perClass: 20), Ct);
        var env = new Dictionary<string, string>
        {
            ["DryWet__Home"] = Path.Combine(_work, "home"),
            ["ConnectionStrings__mlflow"] = $"Endpoint={mlflow.BaseAddress}",
            ["ConnectionStrings__minio"] = s3.ConnectionString,
            ["DryWet__Mlflow__ReadyPollInterval"] = "00:00:00.050",
        };
        var config = Config(epochs: 1);
        mlflow.FailRegistrationWith = "model artifacts could not be copied";

        var failed = await TrainerProcess.RunAsync(env, Ct, "train", "--threads", "1", "--config", config, "--data", $"s3://ml-data/{key}", "--output", Path.Combine(_work, "pkg1"));

        failed.ExitCode.ShouldBe(1, failed.StdErr);
        failed.StdErr.ShouldContain("model artifacts could not be copied");
        mlflow.VersionsOf("dry_wet_model").ShouldBeEmpty();
        var failedRun = mlflow.RunSummaries.Single();
        failedRun.Status.ShouldBe("FAILED");
        failedRun.Tags["dataset.source"].ShouldBe($"s3://ml-data/{key}");

        mlflow.FailRegistrationWith = null;
        var ok = await TrainerProcess.RunAsync(env, Ct, "train", "--threads", "1", "--config", config, "--data", $"s3://ml-data/{key}", "--output", Path.Combine(_work, "pkg2"));

        ok.ExitCode.ShouldBe(0, ok.StdErr + ok.StdOut);
        // One epoch on 20 images per class: whether it beats the majority class is the gate's call (Production or
        // alias challenger); what matters here is that version 2 is READY and the decision is on the run.
        var registered = mlflow.VersionsOf("dry_wet_model").ShouldHaveSingleItem();
        (registered.Version, registered.Status).ShouldBe(("2", "READY"));
        var finished = mlflow.RunSummaries.Single(r => r.Status == "FINISHED");
        registered.Stage.ShouldBe(finished.Tags["drywet.promotion"] == "first" ? "Production" : "None");
        mlflow.ArtifactPaths.ShouldContain(p => p.EndsWith("/artifacts/model/MLmodel"));
        mlflow.ArtifactPaths.ShouldContain(p => p.EndsWith("/artifacts/classification_report.txt"));
        mlflow.RunSummaries.Single(r => r.Status == "FINISHED").Tags["mlflow.log-model.history"].ShouldContain("\"onnx\"");
    }

    public void Dispose() => TestFolders.DeleteQuietly(_work);

    private string SampleData(int perClass)
    {
        var zip = Path.Combine(_work, $"data-{perClass}.zip");
        if (!File.Exists(zip))
        {
            SampleDataset.WriteZip(zip, perClass, size: 64, seed: 5);
        }

        return zip;
    }

    private string Config(int epochs)
    {
        var path = Path.Combine(_work, $"config-{epochs}.yaml");
        File.WriteAllText(path, TrainingPipelineTests.CiConfig(epochs).ToYaml());
        return path;
    }

    private static async Task<JsonElement> Info(HttpClient client) =>
        JsonDocument.Parse(await client.GetStringAsync("/model/info", Ct)).RootElement.Clone();

    /// <summary>Accuracy on fresh synthetic images (seeds the training data never used).</summary>
    private static async Task<double> AccuracyAsync(HttpClient client)
    {
        var correct = 0;
        const int perClass = 10;
        foreach (var wet in new[] { false, true })
        {
            for (var i = 0; i < perClass; i++)
            {
                var image = SyntheticRoadGenerator.DrawJpeg(wet, 64, seed: 900_000 + i);
                using var response = await client.PostAsync("/predict", ServingApp.ImageForm(image), Ct);
                response.StatusCode.ShouldBe(HttpStatusCode.OK);
                var prediction = JsonDocument.Parse(await response.Content.ReadAsStringAsync(Ct)).RootElement.GetProperty("prediction").GetString();
                correct += prediction == (wet ? "wet" : "dry") ? 1 : 0;
            }
        }

        return correct / (2.0 * perClass);
    }
}

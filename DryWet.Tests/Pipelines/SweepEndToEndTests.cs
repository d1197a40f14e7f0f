using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using DryWet.Core.Registry;
using DryWet.Core.Tracking;
using DryWet.Tests.Storage;
using DryWet.Tests.Tracking;
using DryWet.Tests.Training;
using DryWet.TrainingWorker.Data;
using DryWet.TrainingWorker.Pipelines;
using Microsoft.Extensions.DependencyInjection;

namespace DryWet.Tests.Pipelines;

/// <summary>
/// The compiled sweep pipeline run step by step the way KFP's launcher runs it, with the real trainer process and the
/// embedded platform: each loop item's fields picked with the spec's own parameterExpressionSelector, its placeholders
/// substituted into the spec's own args, the STRUCT results collected into a LIST for register-best. No KFP can run
/// here; everything after the placeholders is the product.
/// </summary>
public sealed partial class SweepEndToEndTests(S3rverFixture s3) : IClassFixture<S3rverFixture>, IDisposable
{
    private readonly TempFolder work = new();

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_two_run_sweep_registers_only_the_better_run_first_and_a_worse_best_is_rejected_as_challenger()
    {
        var home = Path.Combine(work.Path, "home");
        var env = new Dictionary<string, string> { ["DryWet__Home"] = home };
        var data = Path.Combine(work.Path, "data.zip");
        SampleDataset.WriteZip(data, countPerClass: 150, size: 64, seed: 5);
        var config = Path.Combine(work.Path, "config.yaml");
        // 12 epochs at 3e-3 (SweepConfig) reach val_acc ≈ 0.95 on this data; 1e-7 learns nothing: chance on the 60 balanced validation
        // images (0.5 here; the best of 8 epochs on another CPU's kernels may be a few images off, not 10).
        await File.WriteAllTextAsync(config, SweepConfig().ToYaml(), Ct);
        var spec = KubeflowPipelineCompiler.Compile(new TrainingPipelineSettings
        {
            TrainingConfigPath = config,
            Sweep = TrainingSweep.Parse(["training.learning_rate=1e-7,3e-3"], parallelism: 1),
        }).PipelineSpec;

        var results = await TrainIterationsAsync(spec, env, data);
        results.Select(r => r!["overrides"]!["training.learning_rate"]!.GetValue<string>()).ShouldBe(["1e-7", "3e-3"]);
        var worse = results[0]!;
        var better = results[1]!;
        worse["best_val_acc"]!.GetValue<double>().ShouldBeLessThan(0.75, "1e-7 does not learn");
        better["best_val_acc"]!.GetValue<double>().ShouldBeGreaterThanOrEqualTo(0.9);
        using (var platform = PlatformHost.Build(home))
        {
            (await platform.Services.GetRequiredService<IModelRegistry>().ListVersionsAsync("dry_wet_model", Ct)).ShouldBeEmpty("train steps do not register");
        }

        var first = await RegisterBestAsync(spec, env, data, results);
        first.ExitCode.ShouldBe(0, first.StdErr + first.StdOut);
        first.StdOut.ShouldContain("dry_wet_model v1 from run " + better["run_id"]!.GetValue<string>() + ": first.");

        // The sweep's best this time is the run that learned nothing: registered, judged, kept away from production.
        var second = await RegisterBestAsync(spec, env, data, new JsonArray(worse.DeepClone()));
        second.ExitCode.ShouldBe(0, second.StdErr + second.StdOut);
        second.StdOut.ShouldContain(": rejected.");

        using var host = PlatformHost.Build(home);
        var registry = host.Services.GetRequiredService<IModelRegistry>();
        var versions = await registry.ListVersionsAsync("dry_wet_model", Ct);
        versions.Select(v => (v.Version, v.RunId)).ShouldBe([("2", worse["run_id"]!.GetValue<string>()), ("1", better["run_id"]!.GetValue<string>())]);
        var production = await registry.ResolveAsync("dry_wet_model", cancellationToken: Ct);
        production!.Version.ShouldBe("1");
        production.Tags["drywet.promotion"].ShouldBe("first");
        production.Tags["dataset.sha256"].Length.ShouldBe(64, "the data's identity, for the watcher's dedup");
        var challenger = versions.Single(v => v.Version == "2");
        challenger.Aliases.ShouldBe(["challenger"]);
        challenger.Tags["drywet.promotion"].ShouldBe("rejected");
        challenger.Description.ShouldContain("best of 1 sweep run (training.learning_rate=1e-7)");
        versions.Single(v => v.Version == "1").Description.ShouldContain("best of 2 sweep runs (training.learning_rate=3e-3)");

        // Each sweep is a run of its own next to its candidates: which run won and what the gate said.
        var reader = host.Services.GetRequiredService<ITrackedRunReader>();
        var sweepRunId = SweepRunId().Match(first.StdOut).Groups[1].Value;
        var sweepRun = await reader.GetRunAsync(sweepRunId, Ct);
        sweepRun.Tags[SweepRegistration.BestRunTag].ShouldBe(better["run_id"]!.GetValue<string>());
        sweepRun.Tags["drywet.promotion"].ShouldBe("first");
        JsonNode.Parse(sweepRun.Tags[SweepRegistration.CandidatesTag])!.AsArray().Count.ShouldBe(2);
    }

    [Fact]
    public async Task On_MLflow_and_MinIO_the_sweeps_best_is_registered_from_its_logged_model_and_the_sweep_run_is_tracked()
    {
        await using var mlflow = await FakeMlflowServer.StartAsync();
        var home = Path.Combine(work.Path, "home");
        var env = new Dictionary<string, string>
        {
            ["DryWet__Home"] = home,
            ["ConnectionStrings__mlflow"] = $"Endpoint={mlflow.BaseAddress}",
            ["ConnectionStrings__minio"] = s3.ConnectionString,
            ["DryWet__Mlflow__ReadyPollInterval"] = "00:00:00.050",
        };
        var data = Path.Combine(work.Path, "data.zip");
        SampleDataset.WriteZip(data, countPerClass: 150, size: 64, seed: 5);
        var config = Path.Combine(work.Path, "config.yaml");
        await File.WriteAllTextAsync(config, SweepConfig().ToYaml(), Ct);
        var spec = KubeflowPipelineCompiler.Compile(new TrainingPipelineSettings
        {
            TrainingConfigPath = config,
            Sweep = TrainingSweep.Parse(["training.learning_rate=3e-3"], parallelism: null),
        }).PipelineSpec;

        var results = await TrainIterationsAsync(spec, env, data);
        var registered = await RegisterBestAsync(spec, env, data, results);

        registered.ExitCode.ShouldBe(0, registered.StdErr + registered.StdOut);
        var runId = results.ShouldHaveSingleItem()!["run_id"]!.GetValue<string>();
        results[0]!["model_source"]!.GetValue<string>().ShouldNotStartWith("file:", customMessage: "the logged model is in MLflow's artifact store");
        mlflow.VersionsOf("dry_wet_model").ShouldBe([("1", "Production", "READY")]);
        using var host = PlatformHost.Build(home, mlflow.BaseAddress, s3.ConnectionString);
        var production = await host.Services.GetRequiredService<IModelRegistry>().ResolveAsync("dry_wet_model", cancellationToken: Ct);
        production!.RunId.ShouldBe(runId);
        production.Aliases.ShouldContain("production");
        production.Tags["drywet.promotion"].ShouldBe("first");
        var sweepRun = mlflow.RunSummaries.Where(r => r.Tags.ContainsKey(SweepRegistration.BestRunTag)).ShouldHaveSingleItem();
        sweepRun.Status.ShouldBe("FINISHED");
        sweepRun.Tags[SweepRegistration.BestRunTag].ShouldBe(runId);
    }

    [Fact]
    public async Task Bad_candidates_or_a_misspelt_override_in_them_are_exit_2_and_register_nothing()
    {
        var home = Path.Combine(work.Path, "home");
        var env = new Dictionary<string, string> { ["DryWet__Home"] = home };
        var config = Path.Combine(work.Path, "config.yaml");
        await File.WriteAllTextAsync(config, "training:\n  img_size: 64\n", Ct);

        var empty = await TrainerProcess.RunAsync(env, Ct, "register-best", "--config", config, "--data", work.Path, "--candidates", "[]");
        empty.ExitCode.ShouldBe(2);
        empty.StdErr.ShouldContain("--candidates is an empty list");

        var misspelt = """[{"run_id": "r1", "best_val_acc": 0.9, "model_source": "file:///nowhere/model", "overrides": {"training.learnig_rate": "1e-3"}}]""";
        var bad = await TrainerProcess.RunAsync(env, Ct, "register-best", "--config", config, "--data", work.Path, "--candidates", misspelt);
        bad.ExitCode.ShouldBe(2);
        bad.StdErr.ShouldContain("'training.learnig_rate': unknown config key (did you mean 'training.learning_rate'?)");

        var policy = await TrainerProcess.RunAsync(env, Ct, "register-best", "--config", config, "--data", work.Path, "--candidates", misspelt, "--promote", "sometimes");
        policy.ExitCode.ShouldBe(2);
        policy.StdErr.ShouldContain("--promote 'sometimes'");

        using var platform = PlatformHost.Build(home);
        (await platform.Services.GetRequiredService<IModelRegistry>().ListVersionsAsync("dry_wet_model", Ct)).ShouldBeEmpty();
    }

    /// <summary>Each loop iteration's train step, as the launcher runs it; returns the collected results (KFP's LIST of STRUCTs).</summary>
    /// <summary>
    /// The CI config with room to learn from scratch: val_acc can sit at chance for five or six epochs while BatchNorm
    /// settles, and where it leaves chance depends on the kernels and the pixel rounding; 12 epochs with patience 8
    /// (the learning rate halved only after 4 flat epochs) learn on every run seen, 1e-7 still learns nothing.
    /// </summary>
    private static DryWet.Core.Configuration.DryWetConfig SweepConfig()
    {
        var config = TrainingPipelineTests.CiConfig(epochs: 12);
        config.EarlyStopping.Patience = 8;
        config.Scheduler.Patience = 4;
        return config;
    }

    private async Task<JsonArray> TrainIterationsAsync(JsonNode spec, Dictionary<string, string> env, string data)
    {
        var results = new JsonArray();
        foreach (var (item, i) in LoopItems(spec).Select((item, i) => (item, i)))
        {
            var podHome = Path.Combine(work.Path, $"pod-{i}");
            var resultFile = Path.Combine(podHome, "outputs", "result");
            var args = StepArgs(spec, "train-model", podHome, new Dictionary<string, string>
            {
                ["{{$.inputs.artifacts['data'].path}}"] = data,
                ["{{$.outputs.parameters['result'].output_file}}"] = resultFile,
                ["training_learning_rate"] = Select(spec, item, "training_learning_rate"),
            });
            var train = await TrainerProcess.RunAsync(env, Ct, [.. args, "--threads", "1"]);
            train.ExitCode.ShouldBe(0, train.StdErr + train.StdOut);
            results.Add(JsonNode.Parse(await File.ReadAllTextAsync(resultFile, Ct)));
        }

        return results;
    }

    private static Task<(int ExitCode, string StdOut, string StdErr)> RegisterBestAsync(JsonNode spec, Dictionary<string, string> env, string data, JsonArray collected)
    {
        var args = StepArgs(spec, "register-best", Path.Combine(Path.GetDirectoryName(data)!, "register-pod"), new Dictionary<string, string>
        {
            ["{{$.inputs.artifacts['data'].path}}"] = data,
            ["candidates"] = collected.ToJsonString(),
        });
        return TrainerProcess.RunAsync(env, Ct, args);
    }

    /// <summary>The loop's items as the driver expands them: items.raw parsed, one STRUCT per iteration.</summary>
    private static IReadOnlyList<JsonObject> LoopItems(JsonNode spec) =>
        [.. JsonNode.Parse(spec["root"]!["dag"]!["tasks"]![SweepPipelineCompiler.LoopTask]!["parameterIterator"]!["items"]!["raw"]!.GetValue<string>())!
            .AsArray().Select(i => i!.AsObject())];

    /// <summary>An input of the loop's train task, evaluated from the item with the task's own selector.</summary>
    private static string Select(JsonNode spec, JsonObject item, string input)
    {
        var selector = spec["components"]![$"comp-{SweepPipelineCompiler.LoopTask}"]!["dag"]!["tasks"]!["train-model"]!
            ["inputs"]!["parameters"]![input]!["parameterExpressionSelector"]!.GetValue<string>();
        var field = SelectorField().Match(selector);
        field.Success.ShouldBeTrue(selector);
        return item[field.Groups[1].Value]!.GetValue<string>();
    }

    /// <summary>The executor's args with placeholders substituted and the emptyDir home mapped to a folder, as the launcher and kubelet do.</summary>
    private static string[] StepArgs(JsonNode spec, string task, string podHome, IReadOnlyDictionary<string, string> values)
    {
        var args = spec["deploymentSpec"]!["executors"]![$"exec-{task}"]!["container"]!["args"]!.AsArray().Select(a => a!.GetValue<string>()).ToArray();
        for (var i = 0; i < args.Length; i++)
        {
            foreach (var (placeholder, value) in values)
            {
                var key = placeholder.StartsWith("{{", StringComparison.Ordinal) ? placeholder : KubeflowPipelineCompiler.InputParameter(placeholder);
                args[i] = args[i].Replace(key, value, StringComparison.Ordinal);
            }

            if (args[i].StartsWith(TrainingPipelineSettings.TrainHome, StringComparison.Ordinal))
            {
                args[i] = podHome + args[i][TrainingPipelineSettings.TrainHome.Length..];
            }

            args[i].ShouldNotContain("{{", customMessage: $"unsubstituted placeholder in {task}: {args[i]}");
        }

        return args;
    }

    public void Dispose() => work.Dispose();

    [GeneratedRegex(@"^parseJson\(string_value\)\[""([A-Za-z0-9_]+)""\]$")]
    private static partial Regex SelectorField();

    [GeneratedRegex(@"Sweep recorded as run (\S+) in experiment")]
    private static partial Regex SweepRunId();
}

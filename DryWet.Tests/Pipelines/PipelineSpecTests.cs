using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using DryWet.Core;
using DryWet.Tests.Platform;
using DryWet.Tests.Storage;
using DryWet.TrainingWorker.Pipelines;

namespace DryWet.Tests.Pipelines;

public partial class PipelineSpecTests
{
    private static readonly string ReferenceDir = RepositoryPaths.Combine("DryWet.Tests", "Pipelines", "Reference");

    // pipeline_with_secret_as_env.yaml's first document indents multi-line double-quoted scalars no deeper than
    // their sequence, which PyYAML tolerates and a spec-conformant parser (YamlDotNet) rejects; only its platform
    // spec matters here, so that document is checked on its own below.
    private const string LenientlyIndentedReference = "pipeline_with_secret_as_env.yaml";

    public static TheoryData<string> ReferenceFiles() =>
        [.. Directory.GetFiles(ReferenceDir, "*.yaml").Select(f => Path.GetFileName(f)).Where(f => f != LenientlyIndentedReference).Order()];

    [Fact]
    public void Validator_accepts_the_real_compilers_secret_as_env_platform_spec()
    {
        var text = File.ReadAllText(Path.Combine(ReferenceDir, LenientlyIndentedReference));
        var platformDoc = text[(text.IndexOf("\n---\n", StringComparison.Ordinal) + 5)..];
        var platform = YamlToJson.LoadAll(platformDoc).Single();
        platform!["platforms"]!["kubernetes"]!["deploymentSpec"]!["executors"]!["exec-comp"]!["secretAsEnv"]!.AsArray().Count.ShouldBe(3);
        KfpSpecValidator.PlatformSpec(platform).ShouldBeEmpty();
    }

    private static (JsonNode Spec, JsonNode Platform) CompileAndRead(TrainingPipelineSettings? settings = null)
    {
        var docs = YamlToJson.LoadAll(KubeflowPipelineCompiler.Compile(settings ?? new()).ToYaml());
        docs.Count.ShouldBe(2, "pipeline spec, then the kubernetes platform spec");
        return (docs[0]!, docs[1]!);
    }

    [Theory]
    [MemberData(nameof(ReferenceFiles))]
    public void Validator_accepts_the_real_compiler_output(string file)
    {
        var docs = YamlToJson.LoadAll(File.ReadAllText(Path.Combine(ReferenceDir, file)));
        KfpSpecValidator.PipelineSpec(docs[0]).ShouldBeEmpty();
        foreach (var platform in docs.Skip(1))
        {
            KfpSpecValidator.PlatformSpec(platform).ShouldBeEmpty();
        }
    }

    [Fact]
    public void Validator_rejects_an_unknown_field_and_a_number_where_a_string_belongs()
    {
        var (spec, _) = CompileAndRead();
        spec["deploymentSpec"]!["executors"]!["exec-train-model"]!["container"]!["imagePullPolicy"] = "Always";
        spec["deploymentSpec"]!["executors"]!["exec-train-model"]!["container"]!["resources"]!["accelerator"]!["resourceCount"] = 1;
        var errors = KfpSpecValidator.PipelineSpec(spec);
        errors.ShouldContain(e => e.Contains("unknown field 'imagePullPolicy'"));
        errors.ShouldContain(e => e.Contains("resourceCount: expected a string"));
    }

    [Fact]
    public void Compiled_spec_and_platform_spec_pass_the_strict_validator()
    {
        var (spec, platform) = CompileAndRead();
        KfpSpecValidator.PipelineSpec(spec).ShouldBeEmpty();
        KfpSpecValidator.PlatformSpec(platform).ShouldBeEmpty();
    }

    [Fact]
    public void Compiled_spec_has_the_compilers_top_level_keys_schema_and_sdk_version()
    {
        var (spec, platform) = CompileAndRead();
        var reference = YamlToJson.LoadAll(File.ReadAllText(Path.Combine(ReferenceDir, "two_step_pipeline_containerized.yaml")))[0]!;
        spec.AsObject().Select(p => p.Key).Order().ShouldBe(reference.AsObject().Select(p => p.Key).Order());
        spec["schemaVersion"]!.GetValue<string>().ShouldBe("2.1.0");
        spec["sdkVersion"]!.GetValue<string>().ShouldMatch(@"^kfp-2\.14\.\d+$");
        spec["pipelineInfo"]!["name"]!.GetValue<string>().ShouldBe("dry-wet-model-training-pipeline");
        spec["pipelineInfo"]!["name"]!.GetValue<string>().ShouldMatch("^[a-z0-9][a-z0-9-]{0,127}$");
        spec["pipelineInfo"]!["description"]!.GetValue<string>()
            .ShouldBe("A pipeline that downloads data, trains a model, and uploads the artifacts.");
        platform.AsObject().Select(p => p.Key).ShouldBe(["platforms"]);
        platform["platforms"]!.AsObject().Select(p => p.Key).ShouldBe(["kubernetes"]);
    }

    [Fact]
    public void Steps_are_download_then_train_then_upload_wired_by_artifacts()
    {
        var (spec, _) = CompileAndRead();
        var tasks = spec["root"]!["dag"]!["tasks"]!.AsObject();
        tasks.Select(t => t.Key).ShouldBe(["download-data", "train-model", "upload-model"]);

        foreach (var (name, task) in tasks)
        {
            task!["componentRef"]!["name"]!.GetValue<string>().ShouldBe($"comp-{name}");
            task["taskInfo"]!["name"]!.GetValue<string>().ShouldBe(name);
            task["cachingOptions"]!.AsObject().Count.ShouldBe(0, "caching off is written as {} by the compiler");
            spec["components"]![$"comp-{name}"]!["executorLabel"]!.GetValue<string>().ShouldBe($"exec-{name}");
            spec["deploymentSpec"]!["executors"]![$"exec-{name}"].ShouldNotBeNull();

            // Every task that consumes another's artifact depends on it, and only on tasks that exist.
            var producers = task["inputs"]?["artifacts"]?.AsObject()
                .Select(a => a.Value!["taskOutputArtifact"]!["producerTask"]!.GetValue<string>()).ToList() ?? [];
            var dependsOn = task["dependentTasks"]?.AsArray().Select(d => d!.GetValue<string>()).ToList() ?? [];
            dependsOn.Order().ShouldBe(producers.Order());
            dependsOn.ShouldAllBe(d => tasks.ContainsKey(d));
        }

        tasks["train-model"]!["inputs"]!["artifacts"]!["data"]!["taskOutputArtifact"]!["outputArtifactKey"]!.GetValue<string>().ShouldBe("data");
        tasks["upload-model"]!["inputs"]!["artifacts"]!["model"]!["taskOutputArtifact"]!["producerTask"]!.GetValue<string>().ShouldBe("train-model");
        spec["components"]!["comp-download-data"]!["outputDefinitions"]!["artifacts"]!["data"]!["artifactType"]!["schemaTitle"]!
            .GetValue<string>().ShouldBe("system.Dataset");
        spec["components"]!["comp-train-model"]!["outputDefinitions"]!["artifacts"]!["model"]!["artifactType"]!["schemaTitle"]!
            .GetValue<string>().ShouldBe("system.Model");
    }

    [Fact]
    public void Every_placeholder_names_an_input_or_output_its_component_declares()
    {
        var (spec, _) = CompileAndRead();
        var placeholders = 0;
        foreach (var (executorLabel, executor) in spec["deploymentSpec"]!["executors"]!.AsObject())
        {
            var component = spec["components"]![executorLabel.Replace("exec-", "comp-")]!;
            foreach (var arg in executor!["container"]!["args"]!.AsArray().Select(a => a!.GetValue<string>()))
            {
                foreach (Match m in Placeholder().Matches(arg))
                {
                    placeholders++;
                    var (direction, kind, name) = (m.Groups["dir"].Value, m.Groups["kind"].Value, m.Groups["name"].Value);
                    var definitions = component[direction == "inputs" ? "inputDefinitions" : "outputDefinitions"]![kind]!;
                    definitions[name].ShouldNotBeNull($"{arg} in {executorLabel}");
                    (kind == "artifacts").ShouldBe(m.Groups["path"].Success, $"artifacts are passed by .path, parameters by value: {arg}");
                }

                arg.Contains("{{").ShouldBe(Placeholder().IsMatch(arg), $"malformed placeholder {arg}");
            }
        }

        placeholders.ShouldBe(8);
    }

    [Fact]
    public void Steps_run_the_trainer_images_own_commands_with_its_flags()
    {
        var (spec, _) = CompileAndRead(new TrainingPipelineSettings { TrainingImage = "dry_wet_train:v2.3.4" });
        var executors = spec["deploymentSpec"]!["executors"]!;
        string[] Args(string exec) => [.. executors[exec]!["container"]!["args"]!.AsArray().Select(a => a!.GetValue<string>())];

        Args("exec-download-data").ShouldBe(["download", "--bucket", "{{$.inputs.parameters['bucket']}}", "--object",
            "{{$.inputs.parameters['object']}}", "--output", "{{$.outputs.artifacts['data'].path}}"]);
        Args("exec-train-model").ShouldBe(["train", "--config", "/app/config.yaml", "--data",
            "{{$.inputs.artifacts['data'].path}}", "--output", "{{$.outputs.artifacts['model'].path}}"]);
        Args("exec-upload-model").ShouldBe(["upload", "--model", "{{$.inputs.artifacts['model'].path}}", "--bucket",
            "{{$.inputs.parameters['bucket']}}", "--name", "{{$.inputs.parameters['name']}}"]);
        foreach (var (_, executor) in executors.AsObject())
        {
            executor!["container"]!["image"]!.GetValue<string>().ShouldBe("dry_wet_train:v2.3.4");
            executor["container"]!["command"]!.AsArray().Select(c => c!.GetValue<string>())
                .ShouldBe(["sh", "-ec", KubeflowPipelineCompiler.EntrypointScript, "/app/DryWet.TrainingWorker"]);
        }
    }

    [Fact]
    public void Run_parameters_are_typed_strings_with_the_originals_defaults()
    {
        var (spec, _) = CompileAndRead();
        var parameters = spec["root"]!["inputDefinitions"]!["parameters"]!.AsObject();
        parameters.ToDictionary(p => p.Key, p => p.Value!["defaultValue"]!.GetValue<string>()).ShouldBe(new Dictionary<string, string>
        {
            ["source_data_bucket"] = "ml-data",
            ["source_data_object"] = "dry-wet-data.zip",
            ["destination_model_bucket"] = "ml-models",
            ["destination_model_name"] = "dry-wet-road-classifier",
        }, ignoreOrder: true);
        parameters.ShouldAllBe(p => p.Value!["parameterType"]!.GetValue<string>() == "STRING" && p.Value["isOptional"]!.GetValue<bool>());

        var referenced = spec["root"]!["dag"]!["tasks"]!.AsObject()
            .SelectMany(t => t.Value!["inputs"]?["parameters"]?.AsObject().Select(p => p.Value!["componentInputParameter"]!.GetValue<string>()) ?? []);
        referenced.Order().ShouldBe(parameters.Select(p => p.Key).Order());
    }

    [Fact]
    public void Only_the_train_step_asks_for_a_gpu_and_zero_gpus_asks_for_none()
    {
        var (spec, platform) = CompileAndRead();
        var executors = spec["deploymentSpec"]!["executors"]!;
        var accelerator = executors["exec-train-model"]!["container"]!["resources"]!["accelerator"]!;
        accelerator.ToJsonString().ShouldBe("""{"count":"1","resourceCount":"1","resourceType":"nvidia.com/gpu","type":"nvidia.com/gpu"}""");
        executors["exec-download-data"]!["container"]!["resources"].ShouldBeNull();
        executors["exec-upload-model"]!["container"]!["resources"].ShouldBeNull();
        platform["platforms"]!["kubernetes"]!["deploymentSpec"]!["executors"]!["exec-train-model"]!["tolerations"]![0]!["key"]!
            .GetValue<string>().ShouldBe("nvidia.com/gpu");

        var (cpuSpec, cpuPlatform) = CompileAndRead(new TrainingPipelineSettings { TrainGpus = 0 });
        cpuSpec["deploymentSpec"]!["executors"]!["exec-train-model"]!["container"]!["resources"].ShouldBeNull();
        cpuPlatform["platforms"]!["kubernetes"]!["deploymentSpec"]!["executors"]!["exec-train-model"]!["tolerations"].ShouldBeNull();
    }

    [Fact]
    public void Minio_keys_come_from_the_secret_and_never_appear_in_the_spec()
    {
        var yaml = KubeflowPipelineCompiler.Compile(new()).ToYaml();
        yaml.ShouldNotContain("minio123");
        var (spec, platform) = CompileAndRead();
        foreach (var (label, executor) in platform["platforms"]!["kubernetes"]!["deploymentSpec"]!["executors"]!.AsObject())
        {
            spec["deploymentSpec"]!["executors"]![label].ShouldNotBeNull();
            var secret = executor!["secretAsEnv"]![0]!;
            secret["secretName"]!.GetValue<string>().ShouldBe("drywet-minio-trainer");
            secret["secretNameParameter"]!["runtimeValue"]!["constant"]!.GetValue<string>().ShouldBe("drywet-minio-trainer");
            secret["keyToEnv"]!.AsArray().Select(k => $"{k!["envVar"]}={k["secretKey"]}").ShouldBe(
                ["Minio__AccessKey=accesskey", "Minio__SecretKey=secretkey"]);
            // MLflow's basic-auth credentials as MLflow's client variables, from the Secret setup.sh creates (optional:
            // an MLflow without authentication needs none).
            var mlflow = executor["secretAsEnv"]![1]!;
            mlflow["secretName"]!.GetValue<string>().ShouldBe("drywet-mlflow-credentials");
            mlflow["optional"]!.GetValue<bool>().ShouldBeTrue();
            mlflow["keyToEnv"]!.AsArray().Select(k => $"{k!["envVar"]}={k["secretKey"]}").ShouldBe(
                ["MLFLOW_TRACKING_USERNAME=username", "MLFLOW_TRACKING_PASSWORD=password"]);
            executor["imagePullPolicy"]!.GetValue<string>().ShouldBe("IfNotPresent");

            var env = spec["deploymentSpec"]!["executors"]![label]!["container"]!["env"]!.AsArray()
                .ToDictionary(e => e!["name"]!.GetValue<string>(), e => e!["value"]!.GetValue<string>());
            var expected = new Dictionary<string, string>
            {
                ["Minio__Endpoint"] = "http://minio-service.kubeflow:9000",
                ["ConnectionStrings__mlflow"] = "http://mlflow-service.mlflow.svc.cluster.local:5000",
                ["MLFLOW_TRACKING_URI"] = "http://mlflow-service.mlflow.svc.cluster.local:5000",
            };
            if (label == "exec-train-model")
            {
                expected["DryWet__Home"] = "/drywet-home"; // the emptyDir with the weights cache; no key in it either
            }

            env.ShouldBe(expected, ignoreOrder: true);
        }
    }

    [Fact]
    public async Task Entrypoint_builds_the_minio_connection_string_from_the_secret_env_and_execs_the_trainer_with_the_args()
    {
        // Runs the exact command line a step's container runs, with a stand-in trainer that prints what it got.
        var dir = TestFolders.NewTempDirectory("drywet-entrypoint");
        try
        {
            var trainer = Path.Combine(dir, "trainer");
            await File.WriteAllTextAsync(trainer, "#!/bin/sh\nprintf '%s\\n' \"$ConnectionStrings__minio\" \"$@\"\n", TestContext.Current.CancellationToken);
            OperatingSystem.IsWindows().ShouldBeFalse("the pipeline's containers are Linux; this runs their shell line");
            if (!OperatingSystem.IsWindows())
            {
                File.SetUnixFileMode(trainer, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
            }
            var result = await ProcessRunner.RunAsync("sh", ["-ec", KubeflowPipelineCompiler.EntrypointScript, trainer, "download", "--bucket", "ml data"],
                environment: new Dictionary<string, string?>
                {
                    ["Minio__Endpoint"] = "http://minio-service.kubeflow:9000",
                    ["Minio__AccessKey"] = "minio",
                    ["Minio__SecretKey"] = "s3cr$t",
                });
            result.ExitCode.ShouldBe(0, result.All);
            result.StdOut.Split('\n', StringSplitOptions.RemoveEmptyEntries).ShouldBe(
                ["Endpoint=http://minio-service.kubeflow:9000;AccessKey=minio;SecretKey=s3cr$t", "download", "--bucket", "ml data"]);
        }
        finally
        {
            TestFolders.DeleteQuietly(dir);
        }
    }

    [Fact]
    public void Yaml_and_the_json_sent_to_the_api_are_the_same_tree()
    {
        var pipeline = KubeflowPipelineCompiler.Compile(new());
        var docs = YamlToJson.LoadAll(pipeline.ToYaml());
        var run = pipeline.ToRunPipelineSpec();
        JsonNode.DeepEquals(docs[0], run["pipeline_spec"]).ShouldBeTrue();
        JsonNode.DeepEquals(docs[1], run["platform_spec"]).ShouldBeTrue();
    }

    [Theory]
    [InlineData("", "--training-image")]
    [InlineData("dry wet:v1", "--training-image")]
    public void Compile_refuses_a_bad_image_with_a_message_naming_the_flag(string image, string flag)
    {
        var error = Should.Throw<DryWetException>(() => KubeflowPipelineCompiler.Compile(new TrainingPipelineSettings { TrainingImage = image }));
        error.Message.ShouldContain(flag);
    }

    [Fact]
    public void The_train_step_gets_a_writable_home_on_an_empty_dir_and_the_weights_mirror_and_file_names_when_set()
    {
        var (spec, platform) = CompileAndRead();
        string? Env(JsonNode s, string step, string name) => s["deploymentSpec"]!["executors"]![$"exec-{step}"]!["container"]!["env"]!.AsArray()
            .FirstOrDefault(e => e!["name"]!.GetValue<string>() == name)?["value"]!.GetValue<string>();
        var executors = platform["platforms"]!["kubernetes"]!["deploymentSpec"]!["executors"]!;

        Env(spec, "train-model", "DryWet__Home").ShouldBe("/drywet-home");
        executors["exec-train-model"]!["emptyDirMounts"]!.ToJsonString().ShouldBe("""[{"mountPath":"/drywet-home","volumeName":"drywet-home"}]""");
        Env(spec, "train-model", "DryWet__Weights__BaseUrl").ShouldBeNull(); // torchvision's host unless told otherwise
        executors["exec-download-data"]!["emptyDirMounts"].ShouldBeNull();

        Env(spec, "train-model", "DryWet__Weights__Files__efficientnet_b0").ShouldBeNull();

        var (mirrored, mirroredPlatform) = CompileAndRead(new TrainingPipelineSettings
        {
            WeightsBaseUrl = "http://weights.internal/models/",
            WeightsFiles = new Dictionary<string, string> { ["efficientnet_b0"] = "b0-mirror.pth", ["efficientnet_b3"] = " " },
        });
        Env(mirrored, "train-model", "DryWet__Weights__BaseUrl").ShouldBe("http://weights.internal/models/");
        Env(mirrored, "train-model", "DryWet__Weights__Files__efficientnet_b0").ShouldBe("b0-mirror.pth");
        Env(mirrored, "train-model", "DryWet__Weights__Files__efficientnet_b3").ShouldBeNull(); // blank: torchvision's name
        KfpSpecValidator.PipelineSpec(mirrored).ShouldBeEmpty();
        KfpSpecValidator.PlatformSpec(mirroredPlatform).ShouldBeEmpty();
        Should.Throw<DryWetException>(() => KubeflowPipelineCompiler.Compile(new TrainingPipelineSettings { WeightsBaseUrl = "weights.internal" }))
            .Message.ShouldContain("--weights-base-url 'weights.internal'");
    }

    [Fact]
    public void Compile_refuses_a_negative_gpu_count_and_a_non_http_mlflow_uri()
    {
        Should.Throw<DryWetException>(() => KubeflowPipelineCompiler.Compile(new TrainingPipelineSettings { TrainGpus = -1 }))
            .Message.ShouldContain("--gpus -1");
        Should.Throw<DryWetException>(() => KubeflowPipelineCompiler.Compile(new TrainingPipelineSettings { MlflowTrackingUri = "mlflow:5000" }))
            .Message.ShouldContain("--mlflow-tracking-uri 'mlflow:5000'");
    }

    [GeneratedRegex(@"\{\{\$\.(?<dir>inputs|outputs)\.(?<kind>parameters|artifacts)\['(?<name>[a-z_]+)'\](?<path>\.path)?\}\}")]
    private static partial Regex Placeholder();
}

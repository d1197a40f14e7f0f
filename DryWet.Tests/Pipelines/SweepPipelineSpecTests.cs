using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using DryWet.Tests.Platform;
using DryWet.TrainingWorker.Pipelines;

namespace DryWet.Tests.Pipelines;

/// <summary>
/// The sweep pipeline's IR (download → ParallelFor(train) → register-best) against the strict validator and, field by
/// field, against the real compiler's ParallelFor output: pipeline_with_parallelfor_parallelism.yaml (iteratorPolicy,
/// items raw vs inputParameter, loop-item naming and field selectors) and parallelfor_fan_in_parameters_simple.yaml
/// (dsl.Collected: the sub-DAG's LIST output and how the fan-in task consumes it).
/// </summary>
public partial class SweepPipelineSpecTests
{
    private static readonly string ReferenceDir = RepositoryPaths.Combine("DryWet.Tests", "Pipelines", "Reference");

    internal static readonly string[] DocumentedSweep = ["training.learning_rate=1e-3,3e-4", "training.img_size=224,300"];

    internal static TrainingPipelineSettings SweepSettings(int? parallelism = 2, params string[] axes) =>
        new() { Sweep = TrainingSweep.Parse(axes.Length > 0 ? axes : DocumentedSweep, parallelism) };

    private static (JsonNode Spec, JsonNode Platform) Compile(TrainingPipelineSettings settings)
    {
        var docs = YamlToJson.LoadAll(KubeflowPipelineCompiler.Compile(settings).ToYaml());
        docs.Count.ShouldBe(2);
        return (docs[0]!, docs[1]!);
    }

    private static JsonNode Reference(string file) => YamlToJson.LoadAll(File.ReadAllText(Path.Combine(ReferenceDir, file)))[0]!;

    private static JsonObject Tasks(JsonNode dagOwner) => dagOwner["dag"]!["tasks"]!.AsObject();

    private static IEnumerable<JsonObject> AllTasks(JsonNode spec) =>
        Tasks(spec["root"]!).Concat(spec["components"]!.AsObject().Where(c => c.Value!["dag"] is not null).SelectMany(c => Tasks(c.Value!)))
            .Select(t => t.Value!.AsObject());

    private static string[] Keys(JsonNode? node) => [.. node!.AsObject().Select(p => p.Key).Order(StringComparer.Ordinal)];

    [Fact]
    public void Sweep_spec_and_platform_spec_pass_the_strict_validator_with_and_without_a_parallelism_limit()
    {
        foreach (var settings in new[] { SweepSettings(), SweepSettings(parallelism: null), SweepSettings(1, "model.dropout=0.2,0.5,0.7") })
        {
            var (spec, platform) = Compile(settings);
            KfpSpecValidator.PipelineSpec(spec).ShouldBeEmpty();
            KfpSpecValidator.PlatformSpec(platform).ShouldBeEmpty();
        }
    }

    [Fact]
    public void The_loop_task_has_the_compilers_fields_the_parallelism_limit_and_the_combinations_as_raw_items()
    {
        var reference = Reference("pipeline_with_parallelfor_parallelism.yaml");
        var referenceLoops = AllTasks(reference).Where(t => t["parameterIterator"] is not null).ToList();
        referenceLoops.Count.ShouldBe(10, "the reference's ten ParallelFors");
        var (spec, _) = Compile(SweepSettings(parallelism: 2));
        var loop = Tasks(spec["root"]!)[SweepPipelineCompiler.LoopTask]!;

        // Only fields the compiler writes on a loop task; like its loops over raw items, no cachingOptions.
        Keys(loop).ShouldBeSubsetOf(referenceLoops.SelectMany(Keys).Distinct());
        referenceLoops.ShouldAllBe(t => t["cachingOptions"] == null);
        loop["cachingOptions"].ShouldBeNull();

        // iteratorPolicy: {parallelismLimit: <number>}, as the reference's parallelism=2 loop (a number, not a string).
        var referenceLimit = Tasks(reference["root"]!)["for-loop-1"]!["iteratorPolicy"]!;
        Keys(loop["iteratorPolicy"]).ShouldBe(Keys(referenceLimit));
        loop["iteratorPolicy"]!["parallelismLimit"]!.GetValueKind().ShouldBe(referenceLimit["parallelismLimit"]!.GetValueKind());
        loop["iteratorPolicy"]!["parallelismLimit"]!.GetValue<long>().ShouldBe(2);

        // A literal list compiles to items.raw (a JSON string, Python's separators), a pipeline input to items.inputParameter.
        var rawReference = Tasks(reference["root"]!)["for-loop-8"]!["parameterIterator"]!;
        Keys(loop["parameterIterator"]).ShouldBe(Keys(rawReference));
        Keys(loop["parameterIterator"]!["items"]).ShouldBe(Keys(rawReference["items"]));
        rawReference["items"]!["raw"]!.GetValue<string>().ShouldBe("""[{"a": 1, "b": 2}, {"a": 2, "b": 3}, {"a": 3, "b": 4}]""");
        loop["parameterIterator"]!["items"]!["raw"]!.GetValue<string>().ShouldBe(
            """[{"training_learning_rate": "1e-3", "training_img_size": "224"}, {"training_learning_rate": "1e-3", "training_img_size": "300"}, """ +
            """{"training_learning_rate": "3e-4", "training_img_size": "224"}, {"training_learning_rate": "3e-4", "training_img_size": "300"}]""");

        // The loop item is pipelinechannel--loop-item-param-<n> and the loop for-loop-<n+1>, as in every raw-items reference loop.
        foreach (var (name, task) in Tasks(reference["root"]!).Concat(Tasks(reference["components"]!["comp-for-loop-4"]!)))
        {
            if (task!["parameterIterator"]?["items"]?["raw"] is not null)
            {
                LoopNumbersMatch(name, task["parameterIterator"]!["itemInput"]!.GetValue<string>()).ShouldBeTrue(name);
            }
        }

        LoopNumbersMatch(SweepPipelineCompiler.LoopTask, loop["parameterIterator"]!["itemInput"]!.GetValue<string>()).ShouldBeTrue();
        loop["componentRef"]!["name"]!.GetValue<string>().ShouldBe($"comp-{SweepPipelineCompiler.LoopTask}");
        loop["taskInfo"]!["name"]!.GetValue<string>().ShouldBe(SweepPipelineCompiler.LoopTask);

        var (unbounded, _) = Compile(SweepSettings(parallelism: null));
        Tasks(unbounded["root"]!)[SweepPipelineCompiler.LoopTask]!["iteratorPolicy"].ShouldBeNull("no --parallelism: the compiler writes no policy");
    }

    private static bool LoopNumbersMatch(string loopTask, string itemInput)
    {
        var loop = LoopNumber().Match(loopTask);
        var item = LoopItemNumber().Match(itemInput);
        return loop.Success && item.Success && int.Parse(loop.Groups[1].Value) == int.Parse(item.Groups[1].Value) + 1;
    }

    [Fact]
    public void Inside_the_loop_the_train_task_reads_each_field_of_the_struct_item_with_the_compilers_selector()
    {
        var reference = Reference("pipeline_with_parallelfor_parallelism.yaml");
        var referenceLoop = reference["components"]!["comp-for-loop-8"]!;
        var referenceInput = Tasks(referenceLoop)["print-int"]!["inputs"]!["parameters"]!["x"]!;
        var (spec, _) = Compile(SweepSettings());
        var loopComponent = spec["components"]![$"comp-{SweepPipelineCompiler.LoopTask}"]!;
        var train = Tasks(loopComponent)[KubeflowPipelineCompiler.TrainTask]!;

        // Dict items are a STRUCT input of the sub-DAG, as the reference's raw dict loop.
        referenceLoop["inputDefinitions"]!["parameters"]!["pipelinechannel--loop-item-param-7"]!["parameterType"]!.GetValue<string>().ShouldBe("STRUCT");
        loopComponent["inputDefinitions"]!["parameters"]![SweepPipelineCompiler.LoopItem]!["parameterType"]!.GetValue<string>().ShouldBe("STRUCT");

        var parameters = train["inputs"]!["parameters"]!.AsObject();
        parameters.Select(p => p.Key).ShouldBe(["training_learning_rate", "training_img_size"], ignoreOrder: true);
        foreach (var (name, input) in parameters)
        {
            Keys(input).ShouldBe(Keys(referenceInput));
            input!["componentInputParameter"]!.GetValue<string>().ShouldBe(SweepPipelineCompiler.LoopItem);
            input["parameterExpressionSelector"]!.GetValue<string>().ShouldBe($"parseJson(string_value)[\"{name}\"]");
        }

        referenceInput["parameterExpressionSelector"]!.GetValue<string>().ShouldMatch(Selector().ToString());
        parameters.ShouldAllBe(p => Selector().IsMatch(p.Value!["parameterExpressionSelector"]!.GetValue<string>()));

        // The dataset from outside the loop enters as pipelinechannel--<task>-<output>, declared by the sub-DAG.
        train["inputs"]!["artifacts"]!["data"]!["componentInputArtifact"]!.GetValue<string>().ShouldBe("pipelinechannel--download-data-data");
        loopComponent["inputDefinitions"]!["artifacts"]!["pipelinechannel--download-data-data"]!["artifactType"]!["schemaTitle"]!.GetValue<string>().ShouldBe("system.Dataset");
        var loopTask = Tasks(spec["root"]!)[SweepPipelineCompiler.LoopTask]!;
        loopTask["inputs"]!["artifacts"]!["pipelinechannel--download-data-data"]!["taskOutputArtifact"]!.ToJsonString()
            .ShouldBe("""{"outputArtifactKey":"data","producerTask":"download-data"}""");
        loopTask["dependentTasks"]!.AsArray().Select(d => d!.GetValue<string>()).ShouldBe(["download-data"]);

        // The component's inputs are the axes, as STRING (passed into --set), and every input is declared.
        var component = spec["components"]!["comp-train-model"]!;
        component["inputDefinitions"]!["parameters"]!.AsObject().ToDictionary(p => p.Key, p => p.Value!["parameterType"]!.GetValue<string>())
            .ShouldBe(new Dictionary<string, string> { ["training_learning_rate"] = "STRING", ["training_img_size"] = "STRING" }, ignoreOrder: true);
    }

    [Fact]
    public void The_results_are_collected_as_the_loops_list_output_and_the_register_step_consumes_that_list()
    {
        var reference = Reference("parallelfor_fan_in_parameters_simple.yaml");
        var referenceLoop = reference["components"]!["comp-for-loop-2"]!;
        var referenceConsumer = Tasks(reference["root"]!)["add-container"]!;
        var (spec, _) = Compile(SweepSettings());
        var loop = spec["components"]!["comp-for-loop-2"]!;
        var register = Tasks(spec["root"]!)[SweepPipelineCompiler.RegisterTask]!;

        // dag.outputs: pipelinechannel--<producer>-<output> ← valueFromParameter {outputParameterKey, producerSubtask}.
        Keys(loop["dag"]).ShouldBe(Keys(referenceLoop["dag"]));
        var referenceOutput = referenceLoop["dag"]!["outputs"]!["parameters"]!["pipelinechannel--double-Output"]!;
        var output = loop["dag"]!["outputs"]!["parameters"]!["pipelinechannel--train-model-result"]!;
        Keys(output).ShouldBe(Keys(referenceOutput));
        Keys(output["valueFromParameter"]).ShouldBe(Keys(referenceOutput["valueFromParameter"]));
        output["valueFromParameter"]!.ToJsonString().ShouldBe("""{"outputParameterKey":"result","producerSubtask":"train-model"}""");

        // The collected output is declared LIST on the sub-DAG, as the reference's.
        referenceLoop["outputDefinitions"]!["parameters"]!["pipelinechannel--double-Output"]!["parameterType"]!.GetValue<string>().ShouldBe("LIST");
        loop["outputDefinitions"]!["parameters"]!.AsObject().ToDictionary(p => p.Key, p => p.Value!["parameterType"]!.GetValue<string>())
            .ShouldBe(new Dictionary<string, string> { ["pipelinechannel--train-model-result"] = "LIST" });

        // The fan-in task: taskOutputParameter {outputParameterKey: <loop's output>, producerTask: <loop>}, depending on the loop.
        var referenceInput = referenceConsumer["inputs"]!["parameters"]!["nums"]!;
        var candidates = register["inputs"]!["parameters"]!["candidates"]!;
        Keys(candidates).ShouldBe(Keys(referenceInput));
        Keys(candidates["taskOutputParameter"]).ShouldBe(Keys(referenceInput["taskOutputParameter"]));
        candidates["taskOutputParameter"]!.ToJsonString().ShouldBe("""{"outputParameterKey":"pipelinechannel--train-model-result","producerTask":"for-loop-2"}""");
        register["dependentTasks"]!.AsArray().Select(d => d!.GetValue<string>()).ShouldBe(["download-data", "for-loop-2"]);
        spec["components"]!["comp-register-best"]!["inputDefinitions"]!["parameters"]!["candidates"]!["parameterType"]!.GetValue<string>()
            .ShouldBe(reference["components"]!["comp-add-container"]!["inputDefinitions"]!["parameters"]!["nums"]!["parameterType"]!.GetValue<string>());

        // A container step writes an output parameter to {{$.outputs.parameters['<name>'].output_file}}, as the reference's jq step.
        var referenceArgs = reference["deploymentSpec"]!["executors"]!["exec-add-container"]!["container"]!["args"]![0]!.GetValue<string>();
        referenceArgs.ShouldContain("{{$.outputs.parameters['sum'].output_file}}");
        var trainArgs = spec["deploymentSpec"]!["executors"]!["exec-train-model"]!["container"]!["args"]!.AsArray().Select(a => a!.GetValue<string>()).ToList();
        trainArgs[trainArgs.IndexOf("--result-file") + 1].ShouldBe("{{$.outputs.parameters['result'].output_file}}");
        spec["components"]!["comp-train-model"]!["outputDefinitions"]!["parameters"]!["result"]!["parameterType"]!.GetValue<string>().ShouldBe("STRUCT");
    }

    [Fact]
    public void Each_iteration_trains_with_its_combination_as_overrides_and_no_registration_and_only_the_best_is_registered()
    {
        var (spec, platform) = Compile(SweepSettings());
        var executors = spec["deploymentSpec"]!["executors"]!;
        string[] Args(string exec) => [.. executors[exec]!["container"]!["args"]!.AsArray().Select(a => a!.GetValue<string>())];

        spec["pipelineInfo"]!["name"]!.GetValue<string>().ShouldBe("dry-wet-model-sweep-pipeline");
        Tasks(spec["root"]!).Select(t => t.Key).ShouldBe(["download-data", "for-loop-2", "register-best"], ignoreOrder: true);
        Args("exec-train-model").ShouldBe(["train", "--config", "/app/config.yaml", "--data", "{{$.inputs.artifacts['data'].path}}",
            "--output", "/drywet-home/model", "--no-register",
            "--set", "training.learning_rate={{$.inputs.parameters['training_learning_rate']}}",
            "--set", "training.img_size={{$.inputs.parameters['training_img_size']}}",
            "--result-file", "{{$.outputs.parameters['result'].output_file}}"]);
        Args("exec-register-best").ShouldBe(["register-best", "--config", "/app/config.yaml", "--data", "{{$.inputs.artifacts['data'].path}}",
            "--candidates", "{{$.inputs.parameters['candidates']}}", "--promote", "auto"]);

        // One GPU per train pod; the fan-in step evaluates ONNX on CPU. Both get the writable home.
        executors["exec-train-model"]!["container"]!["resources"]!["accelerator"]!["resourceCount"]!.GetValue<string>().ShouldBe("1");
        executors["exec-register-best"]!["container"]!["resources"].ShouldBeNull();
        var k8s = platform["platforms"]!["kubernetes"]!["deploymentSpec"]!["executors"]!;
        k8s["exec-train-model"]!["tolerations"].ShouldNotBeNull();
        k8s["exec-register-best"]!["tolerations"].ShouldBeNull();
        k8s["exec-register-best"]!["emptyDirMounts"]![0]!["mountPath"]!.GetValue<string>().ShouldBe("/drywet-home");
        k8s.AsObject().Select(e => e.Key).ShouldBe(executors.AsObject().Select(e => e.Key), ignoreOrder: true);
        KubeflowPipelineCompiler.Compile(SweepSettings()).ToYaml().ShouldNotContain("minio123");

        // Only the parameters the sweep uses are declared, and every declared one is used.
        var declared = spec["root"]!["inputDefinitions"]!["parameters"]!.AsObject().Select(p => p.Key).ToList();
        declared.ShouldBe(["source_data_bucket", "source_data_object"], ignoreOrder: true);
        AllTasks(spec).SelectMany(t => t["inputs"]?["parameters"]?.AsObject().Select(p => p.Value!["componentInputParameter"]?.GetValue<string>()) ?? [])
            .Where(p => p is not null && !p.StartsWith("pipelinechannel--", StringComparison.Ordinal)).Distinct().Order()
            .ShouldBe(declared.Order());
    }

    [Fact]
    public void Every_placeholder_and_every_component_reference_resolves()
    {
        var (spec, _) = Compile(SweepSettings());
        var components = spec["components"]!.AsObject();
        foreach (var task in AllTasks(spec))
        {
            components.ContainsKey(task["componentRef"]!["name"]!.GetValue<string>()).ShouldBeTrue(task.ToJsonString());
        }

        foreach (var (label, executor) in spec["deploymentSpec"]!["executors"]!.AsObject())
        {
            var component = components[label.Replace("exec-", "comp-")]!;
            foreach (var arg in executor!["container"]!["args"]!.AsArray().Select(a => a!.GetValue<string>()))
            {
                foreach (Match m in Placeholder().Matches(arg))
                {
                    var definitions = component[m.Groups["dir"].Value == "inputs" ? "inputDefinitions" : "outputDefinitions"]![m.Groups["kind"].Value]!;
                    definitions[m.Groups["name"].Value].ShouldNotBeNull($"{arg} in {label}");
                }
            }
        }
    }

    [GeneratedRegex(@"^for-loop-(\d+)$")]
    private static partial Regex LoopNumber();

    [GeneratedRegex(@"^pipelinechannel--loop-item-param-(\d+)$")]
    private static partial Regex LoopItemNumber();

    [GeneratedRegex(@"^parseJson\(string_value\)\[""[A-Za-z_][A-Za-z0-9_]*""\]$")]
    private static partial Regex Selector();

    [GeneratedRegex(@"\{\{\$\.(?<dir>inputs|outputs)\.(?<kind>parameters|artifacts)\['(?<name>[a-z_]+)'\](\.path|\.output_file)?\}\}")]
    private static partial Regex Placeholder();
}

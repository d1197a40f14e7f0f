using DryWet.Core.Platform;
using System.Text.Json.Nodes;
using static DryWet.TrainingWorker.Pipelines.KubeflowPipelineCompiler;
using static DryWet.TrainingWorker.Pipelines.PipelineDocument;

namespace DryWet.TrainingWorker.Pipelines;

/// <summary>
/// The sweep pipeline, as the KFP compiler writes
/// <c>with dsl.ParallelFor(items=[{…}, …], parallelism=N) as item: train(data, item.x, …)</c> followed by
/// <c>register_best(candidates=dsl.Collected(train.outputs['result']), data)</c>:
/// download → a <c>for-loop-2</c> sub-DAG over the literal combinations (each a GPU train step of the same image,
/// with its combination as <c>--set</c> overrides and no registration) → one <c>register-best</c> step that gets every
/// run's result as a LIST, registers only the best and sends it through the champion/challenger gate.
/// Names follow the compiler: the loop item <c>pipelinechannel--loop-item-param-1</c> (a STRUCT, its fields picked with
/// <c>parseJson(string_value)["x"]</c>), outer channels <c>pipelinechannel--&lt;task&gt;-&lt;output&gt;</c>, the collected
/// output typed LIST (reference: pipeline_with_parallelfor_parallelism.yaml, parallelfor_fan_in_parameters_simple.yaml).
/// </summary>
public static class SweepPipelineCompiler
{
    public const string PipelineName = "dry-wet-model-sweep-pipeline";
    public const string PipelineDescription = "A pipeline that downloads data, trains one model per sweep combination in parallel, and registers and gates the best.";

    public const string LoopTask = "for-loop-2";
    public const string LoopItem = "pipelinechannel--loop-item-param-1";
    public const string RegisterTask = "register-best";
    public const string ResultOutput = "result";

    /// <summary>The loop's view of download-data's dataset, and of the train steps' collected results.</summary>
    public static readonly string DataChannel = $"pipelinechannel--{DownloadTask}-data";
    public static readonly string ResultsChannel = $"pipelinechannel--{TrainTask}-{ResultOutput}";

    /// <summary>Each candidate's package goes to its pod's emptyDir, not to KFP's artifact store: the registry takes the best from the run's logged model.</summary>
    public const string CandidateOutput = TrainingPipelineSettings.TrainHome + "/model";

    internal static CompiledPipeline Compile(TrainingPipelineSettings settings)
    {
        var sweep = settings.Sweep!;
        var download = DownloadStep(settings);
        var train = new PipelineStep(TrainTask,
            Parameters: [.. sweep.Axes.Select(a => new StepParameter(a.ParameterName))],
            InputArtifacts: [("data", "system.Dataset")],
            OutputArtifacts: [],
            Args: TrainerArguments.Train(settings.TrainingConfigPath, InputArtifactPath("data"), CandidateOutput,
                ["--no-register",
                    .. sweep.Axes.SelectMany(a => new[] { "--set", $"{a.Key.Path}={InputParameter(a.ParameterName)}" }),
                    "--result-file", OutputParameterFile(ResultOutput)]),
            Env: [.. StepEnv(settings), .. TrainEnv(settings)],
            Gpus: settings.TrainGpus,
            HomeVolume: true,
            OutputParameters: [new(ResultOutput, StepParameter.Struct)]);
        var register = new PipelineStep(RegisterTask,
            Parameters: [new("candidates", StepParameter.List)],
            InputArtifacts: [("data", "system.Dataset")],
            OutputArtifacts: [],
            Args: TrainerArguments.RegisterBest(settings.TrainingConfigPath, InputArtifactPath("data"), InputParameter("candidates"), "auto"),
            Env: [.. StepEnv(settings), .. TrainEnv(settings)],
            Gpus: 0,
            HomeVolume: true);

        var loop = new JsonObject
        {
            ["componentRef"] = new JsonObject { ["name"] = ComponentName(LoopTask) },
            ["dependentTasks"] = new JsonArray(DownloadTask),
            ["inputs"] = new JsonObject { ["artifacts"] = new JsonObject { [DataChannel] = FromTaskArtifact(DownloadTask, "data") } },
            ["parameterIterator"] = new JsonObject
            {
                ["itemInput"] = LoopItem,
                ["items"] = new JsonObject { ["raw"] = sweep.ItemsJson() },
            },
            ["taskInfo"] = new JsonObject { ["name"] = LoopTask },
        };
        if (sweep.Parallelism is { } limit)
        {
            loop["iteratorPolicy"] = new JsonObject { ["parallelismLimit"] = limit };
        }

        var tasks = new JsonObject
        {
            [DownloadTask] = DownloadTaskNode(),
            [LoopTask] = loop,
            [RegisterTask] = Task(RegisterTask, ComponentName(RegisterTask), [DownloadTask, LoopTask],
                new JsonObject { ["data"] = FromTaskArtifact(DownloadTask, "data") },
                new JsonObject { ["candidates"] = FromTaskParameter(LoopTask, ResultsChannel) }),
        };

        return Build(settings, PipelineName, PipelineDescription, [download, train, register],
            [KeyValuePair.Create(ComponentName(LoopTask), LoopComponent(sweep))], tasks);
    }

    /// <summary>The ParallelFor's sub-DAG: the train task fed by the loop item's fields, its result collected as a LIST.</summary>
    private static JsonObject LoopComponent(TrainingSweep sweep)
    {
        var overrides = new JsonObject();
        foreach (var axis in sweep.Axes)
        {
            var fromItem = FromComponentParameter(LoopItem);
            fromItem["parameterExpressionSelector"] = $"parseJson(string_value)[\"{axis.ParameterName}\"]";
            overrides[axis.ParameterName] = fromItem;
        }

        var trainTask = Task(TrainTask, ComponentName(TrainTask), [],
            new JsonObject { ["data"] = FromComponentArtifact(DataChannel) }, overrides);

        return new JsonObject
        {
            ["dag"] = new JsonObject
            {
                ["outputs"] = new JsonObject
                {
                    ["parameters"] = new JsonObject
                    {
                        [ResultsChannel] = new JsonObject
                        {
                            ["valueFromParameter"] = new JsonObject { ["outputParameterKey"] = ResultOutput, ["producerSubtask"] = TrainTask },
                        },
                    },
                },
                ["tasks"] = new JsonObject { [TrainTask] = trainTask },
            },
            ["inputDefinitions"] = new JsonObject
            {
                ["artifacts"] = PipelineStep.ArtifactDefinitions([(DataChannel, "system.Dataset")]),
                ["parameters"] = PipelineStep.ParameterDefinitions([new(LoopItem, StepParameter.Struct)]),
            },
            ["outputDefinitions"] = new JsonObject
            {
                ["parameters"] = PipelineStep.ParameterDefinitions([new(ResultsChannel, StepParameter.List)]),
            },
        };
    }
}

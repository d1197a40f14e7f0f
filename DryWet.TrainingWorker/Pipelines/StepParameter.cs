namespace DryWet.TrainingWorker.Pipelines;

/// <summary>A typed input or output parameter of a step (KFP's parameterType names).</summary>
internal sealed record StepParameter(string Name, string Type = StepParameter.String)
{
    public const string String = "STRING";
    public const string Struct = "STRUCT";
    public const string List = "LIST";
}

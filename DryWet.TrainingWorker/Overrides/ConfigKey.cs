namespace DryWet.TrainingWorker.Overrides;

/// <summary>One settable leaf of config.yaml, by its dotted path as written in the file (<c>training.learning_rate</c>).</summary>
/// <param name="Nullable">True when the setting may be left unset (<c>model.pretrained_path</c>): an empty value clears it.</param>
public sealed record ConfigKey(string Path, ConfigValueKind Kind, bool Nullable)
{
    /// <summary>The path's segments, outermost section first.</summary>
    public IReadOnlyList<string> Segments => Path.Split('.');

    /// <summary>The kind in words, for error messages.</summary>
    public string KindDescription => Kind switch
    {
        ConfigValueKind.Integer => "a whole number",
        ConfigValueKind.Number => "a number",
        ConfigValueKind.Text => "text",
        _ => "a list",
    };

    public override string ToString() => Path;
}

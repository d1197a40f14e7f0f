namespace DryWet.TrainingWorker.Overrides;

/// <summary>What a setting holds, which decides how a command-line value is checked before the config sees it.</summary>
public enum ConfigValueKind
{
    /// <summary>A whole number (training.img_size, training.epochs).</summary>
    Integer,

    /// <summary>A number (training.learning_rate, data.test_size).</summary>
    Number,

    /// <summary>Text (model.architecture, training.batchnorm).</summary>
    Text,

    /// <summary>A list ([0.1, 0.1]): set in the config file, not on the command line.</summary>
    List,
}

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

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

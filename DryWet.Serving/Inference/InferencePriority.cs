namespace DryWet.Serving.Inference;

/// <summary>Which lane of the <see cref="InferenceRunner"/> a piece of work waits in.</summary>
public enum InferencePriority
{
    /// <summary>Client requests of the model being served: always run first.</summary>
    Live,

    /// <summary>
    /// Work no client waits for — a model being loaded (smoke test, batch tuning, arena warm-up), a shadow model —
    /// run only when no live work waits, or once it has waited <see cref="InferenceRunner.BackgroundMaxWait"/>
    /// (a load under saturating traffic still finishes).
    /// </summary>
    Background,
}

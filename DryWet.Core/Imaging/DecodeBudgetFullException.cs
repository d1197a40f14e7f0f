namespace DryWet.Core.Imaging;

/// <summary>The default refusal of a <see cref="DecodeBudget"/> whose owner gave none: the budget stayed full.</summary>
public sealed class DecodeBudgetFullException(DecodeRefusal refusal)
    : DryWetException(refusal.Reason == DecodeRefusalReason.QueueFull
        ? $"Decoding is busy: {refusal.Waiting} decodes already wait for memory. Retry shortly."
        : $"Decoding is busy: no decode memory ({refusal.Bytes / 1024:N0} KiB needed) became free within {refusal.Timeout.TotalSeconds:0.#} s. Retry shortly.")
{
    public DecodeRefusal Refusal { get; } = refusal;
}

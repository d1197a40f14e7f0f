namespace DryWet.Core.Imaging;

/// <summary>Why a <see cref="DecodeBudget"/> refused a reservation.</summary>
public enum DecodeRefusalReason
{
    /// <summary>Already as many reservations wait as the budget allows.</summary>
    QueueFull,

    /// <summary>No memory or slot became free within the budget's timeout.</summary>
    Timeout,
}

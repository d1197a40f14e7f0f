namespace DryWet.Core.Imaging;

/// <summary>Why and when a <see cref="DecodeBudget"/> refused a reservation; the host turns it into its 503.</summary>
/// <param name="Bytes">The bytes the refused decode asked for.</param>
/// <param name="Waiting">Reservations waiting at the moment of the refusal.</param>
/// <param name="Timeout">The budget's longest wait.</param>
public sealed record DecodeRefusal(DecodeRefusalReason Reason, long Bytes, int Waiting, TimeSpan Timeout);

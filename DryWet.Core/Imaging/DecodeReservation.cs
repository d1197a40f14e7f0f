namespace DryWet.Core.Imaging;

/// <summary>Memory and a decode slot held from the <see cref="DecodeBudget"/>; disposing gives both back (once).</summary>
public sealed class DecodeReservation : IDisposable
{
    private DecodeBudget? _budget;

    internal DecodeReservation(DecodeBudget budget, long bytes)
    {
        _budget = budget;
        Bytes = bytes;
    }

    public long Bytes { get; }

    public void Dispose() => Interlocked.Exchange(ref _budget, null)?.Release(Bytes);
}

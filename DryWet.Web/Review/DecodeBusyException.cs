using DryWet.Core;

namespace DryWet.Web.Review;

/// <summary>The decode budget stayed full for <see cref="ThumbnailDecodeBudget.Wait"/>: answer 503 with Retry-After.</summary>
public sealed class DecodeBusyException(long neededBytes)
    : DryWetException($"Thumbnails are busy: decoding this one needs {neededBytes / 1024:N0} KiB of the decode budget (Web:DecodeMemoryBudgetMB), which stayed in use for {ThumbnailDecodeBudget.Wait.TotalSeconds:0} s. Try again shortly.");

using System.Diagnostics;

namespace DryWet.Core.Imaging;

/// <summary>
/// How long each stage of one <see cref="ImagePreprocessor.Preprocess(ReadOnlySpan{byte}, Span{float})"/> took:
/// header (format detection, codec, limits and the decode plan), decode (entropy decoding, DCT-scaled IDCT, colour
/// conversion into pooled RGBA), resize (resize + orientation + normalization into the tensor, one pass).
/// </summary>
public readonly record struct PreprocessTimings(TimeSpan Header, TimeSpan Decode, TimeSpan Resize)
{
    public TimeSpan Total => Header + Decode + Resize;

    internal static PreprocessTimings From(long started, long opened, long decoded, long finished) =>
        new(Stopwatch.GetElapsedTime(started, opened), Stopwatch.GetElapsedTime(opened, decoded), Stopwatch.GetElapsedTime(decoded, finished));
}

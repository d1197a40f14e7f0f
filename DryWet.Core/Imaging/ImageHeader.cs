namespace DryWet.Core.Imaging;

/// <summary>
/// What an encoded image's header says, read before any pixel memory exists (<see cref="ImagePreprocessor.ReadHeader"/>):
/// its format and size, the size it will really be decoded at (JPEGs at a reduced libjpeg scale), and the most memory
/// its preprocessing holds at once, so a server can reserve that much before decoding.
/// </summary>
/// <param name="Width">Width after EXIF orientation, before any scaling.</param>
/// <param name="Height">Height after EXIF orientation, before any scaling.</param>
/// <param name="DecodeWidth">Width of the decoded bitmap (encoded frame): the full width, or a JPEG's scaled width.</param>
/// <param name="DecodeHeight">Height of the decoded bitmap (encoded frame).</param>
/// <param name="EncodedBytes">Length of the encoded data (the decoder holds a copy).</param>
public sealed record ImageHeader(string Format, int Width, int Height, int DecodeWidth, int DecodeHeight, int TargetWidth, int TargetHeight,
    long EncodedBytes)
{
    /// <summary>Peak bytes of preprocessing this image: see <see cref="WorkingBytesFor"/>.</summary>
    public long WorkingBytes => WorkingBytesFor((long)DecodeWidth * DecodeHeight, (long)TargetWidth * TargetHeight, EncodedBytes);

    /// <summary>
    /// Peak bytes held while one image is preprocessed: the pooled RGBA decode buffer (4 bytes a pixel, rounded up to
    /// the pool's power-of-two size while pooled), the resizer's one float row (16 bytes a decoded pixel of a row; a row
    /// is at most 16,384 pixels), the RGB result of a <see cref="ImagePreprocessor.Decode(ReadOnlySpan{byte})"/> (3 bytes a
    /// target pixel; a tensor is the caller's) and the codec's copy of the encoded bytes.
    /// </summary>
    public static long WorkingBytesFor(long decodePixels, long targetPixels, long encodedBytes) =>
        ImagePreprocessor.PixelBufferBytes(decodePixels * 4) + Math.Min(decodePixels, 16_384) * 16 + targetPixels * 3 + encodedBytes;
}

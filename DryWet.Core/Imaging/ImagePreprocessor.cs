using System.Buffers;
using System.Collections.Concurrent;
using System.Diagnostics;
using System.Numerics;
using System.Runtime.InteropServices;
using SkiaSharp;

namespace DryWet.Core.Imaging;

/// <summary>
/// The one preprocessing implementation of DryWet, shared by serving and by the trainer (evaluation, and the first
/// stage of its augmentation), so a given image yields the same tensor in both:
/// decode (JPEG, PNG, WebP, BMP, GIF first frame) → EXIF orientation → drop alpha (raw RGB kept, as PIL's
/// <c>convert("RGB")</c>) → resize to exactly Width × Height, no crop (the original's <c>Resize((s, s))</c>) → 8-bit
/// → scale to [0, 1] → normalize with mean/std → CHW float32.
/// <para>
/// Decode: SkiaSharp's codecs into a pooled RGBA_8888 buffer; JPEGs by libjpeg-turbo (the system's TurboJPEG library
/// with its SIMD kernels when present, <see cref="PreprocessorOptions.JpegDecoder"/>, else SkiaSharp's) at a reduced DCT scale
/// (<see cref="PreprocessorOptions.JpegScales"/>) that is still at least the target size, so the IDCT and colour
/// conversion run on a fraction of the pixels. Resize: <see cref="PixelResampler"/>, one streaming pass with
/// <see cref="PreprocessorOptions.Resampler"/> (Mitchell cubic by default) stretched over the whole reduction
/// (antialiased, as PIL's resize), orientation and normalization folded into the writes; results are rounded to 8 bits
/// before normalization, so <see cref="Decode(ReadOnlySpan{byte})"/> + <see cref="ToTensor"/> (the trainer) and
/// <see cref="Preprocess(ReadOnlySpan{byte}, Span{float})"/> (serving) give identical tensors.
/// </para>
/// Thread-safe: one instance serves concurrent requests.
/// </summary>
public sealed class ImagePreprocessor
{
    /// <summary>Decode buffers up to this size are pooled (a 2048×2048 RGBA image); larger ones are allocated per image.</summary>
    internal const int MaxPooledBufferBytes = 16 * 1024 * 1024;

    private static readonly ArrayPool<byte> PixelBuffers = ArrayPool<byte>.Create(MaxPooledBufferBytes, 2 * Environment.ProcessorCount);

    private readonly float[] _lookup; // [channel * 256 + byte] = (byte / 255 - mean) / std
    private readonly ConcurrentDictionary<(int From, int To), ResampleWeights> _weights = new();
    private readonly bool _turboJpeg;

    public ImagePreprocessor(PreprocessorOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        Options = options;
        _turboJpeg = options.JpegDecoder switch
        {
            JpegDecoder.SkiaSharp => false,
            JpegDecoder.TurboJpeg when !TurboJpeg.IsAvailable => throw new DryWetException(
                "JpegDecoder TurboJpeg needs libjpeg-turbo's TurboJPEG library (libturbojpeg.so.0; Debian: apt-get install libturbojpeg0), which cannot be loaded here."),
            _ => TurboJpeg.IsAvailable,
        };
        _lookup = new float[3 * 256];
        for (var c = 0; c < 3; c++)
        {
            for (var v = 0; v < 256; v++)
            {
                // Same float operations as torchvision: ToTensor (x / 255) then Normalize ((x - mean) / std).
                _lookup[c * 256 + v] = (v / 255f - options.Mean[c]) / options.Std[c];
            }
        }
    }

    public PreprocessorOptions Options { get; }

    /// <summary>What decodes JPEGs here (<see cref="PreprocessorOptions.JpegDecoder"/> resolved on this machine), for logs.</summary>
    public string JpegDecoderName => _turboJpeg ? "libjpeg-turbo (system TurboJPEG, SIMD)" : "libjpeg-turbo (SkiaSharp)";

    /// <summary>Number of floats of one preprocessed image: 3 × Height × Width.</summary>
    public int TensorLength => 3 * Options.Width * Options.Height;

    /// <summary>Decodes, orients, drops alpha and resizes to the configured size.</summary>
    public DecodedImage Decode(ReadOnlySpan<byte> encoded) => Decode(encoded, Options.Width, Options.Height);

    /// <summary>Decodes, orients, drops alpha and resizes to exactly <paramref name="targetWidth"/> × <paramref name="targetHeight"/>.</summary>
    /// <exception cref="InvalidImageException">empty, not an image, unsupported, truncated/corrupt, or too large.</exception>
    public DecodedImage Decode(ReadOnlySpan<byte> encoded, int targetWidth, int targetHeight)
    {
        if (targetWidth < 1 || targetHeight < 1 || targetWidth > 8192 || targetHeight > 8192)
        {
            throw new ArgumentOutOfRangeException(nameof(targetWidth), $"Target size {targetWidth}×{targetHeight} must be between 1 and 8192 per side.");
        }

        var rgb = new byte[targetWidth * targetHeight * 3];
        var writer = new RgbWriter(rgb);
        Run(encoded, targetWidth, targetHeight, ref writer, out var header);
        return new DecodedImage(targetWidth, targetHeight, rgb, header.Width, header.Height);
    }

    /// <summary>Reads the stream to its end, then as <see cref="Decode(ReadOnlySpan{byte}, int, int)"/>.</summary>
    public DecodedImage Decode(Stream encoded, int targetWidth, int targetHeight)
    {
        ArgumentNullException.ThrowIfNull(encoded);
        using var buffer = new MemoryStream();
        encoded.CopyTo(buffer);
        return Decode(buffer.GetBuffer().AsSpan(0, (int)buffer.Length), targetWidth, targetHeight);
    }

    /// <summary>
    /// Writes the normalized CHW float32 tensor of <paramref name="image"/> (R plane, G plane, B plane) into
    /// <paramref name="destinationChw"/>, which must hold 3 × image.Height × image.Width floats.
    /// </summary>
    public void ToTensor(DecodedImage image, Span<float> destinationChw)
    {
        ArgumentNullException.ThrowIfNull(image);
        var planeSize = image.Width * image.Height;
        CheckDestination(destinationChw, planeSize);
        var writer = new TensorWriter(_lookup, destinationChw, planeSize);
        var rgb = image.Rgb;
        for (int p = 0, i = 0; p < planeSize; p++, i += 3)
        {
            writer.Write(p, rgb[i], rgb[i + 1], rgb[i + 2]);
        }
    }

    /// <summary>Decode + resize to the configured size + normalize, into a new array of <see cref="TensorLength"/> floats.</summary>
    public float[] Preprocess(ReadOnlySpan<byte> encoded)
    {
        var tensor = new float[TensorLength];
        Preprocess(encoded, tensor);
        return tensor;
    }

    /// <summary>
    /// Decode + resize to the configured size + normalize into <paramref name="destination"/> (e.g. one slot of a
    /// pooled batch buffer), with no image-sized buffer but the pooled decode. Exactly the values of
    /// <see cref="Decode(ReadOnlySpan{byte})"/> followed by <see cref="ToTensor"/>. Returns the time of each stage.
    /// </summary>
    /// <exception cref="InvalidImageException">empty, not an image, unsupported, truncated/corrupt, or too large.</exception>
    public PreprocessTimings Preprocess(ReadOnlySpan<byte> encoded, Span<float> destination)
    {
        var planeSize = Options.Width * Options.Height;
        CheckDestination(destination, planeSize);
        var writer = new TensorWriter(_lookup, destination, planeSize);
        return Run(encoded, Options.Width, Options.Height, ref writer, out _);
    }

    /// <summary>
    /// Reads the header only (no pixel memory): format, size and the memory that preprocessing it to the configured
    /// size will hold (<see cref="ImageHeader.WorkingBytes"/>), so a caller can reserve that much before decoding.
    /// </summary>
    /// <exception cref="InvalidImageException">empty, not an image, header unreadable, or more pixels than allowed.</exception>
    public ImageHeader ReadHeader(ReadOnlySpan<byte> encoded) => ReadHeader(encoded, Options.Width, Options.Height);

    /// <summary>As <see cref="ReadHeader(ReadOnlySpan{byte})"/>, planned for a decode to <paramref name="targetWidth"/> × <paramref name="targetHeight"/>.</summary>
    public ImageHeader ReadHeader(ReadOnlySpan<byte> encoded, int targetWidth, int targetHeight)
    {
        using var data = CopyData(encoded);
        using var codec = OpenCodec(encoded, data);
        return Plan(codec, targetWidth, targetHeight, encoded.Length);
    }

    /// <summary>Bytes a decode buffer of <paramref name="bytes"/> really occupies: pooled buffers come in powers of two.</summary>
    internal static long PixelBufferBytes(long bytes) =>
        bytes <= MaxPooledBufferBytes ? (long)BitOperations.RoundUpToPowerOf2((ulong)Math.Max(16, bytes)) : bytes;

    private static void CheckDestination(Span<float> destination, int planeSize)
    {
        if (destination.Length < 3 * planeSize)
        {
            throw new ArgumentException($"Destination holds {destination.Length} floats; 3 × {planeSize} = {3 * planeSize} needed.", nameof(destination));
        }
    }

    /// <summary>Header → planned decode into a pooled buffer → one resize pass into <paramref name="writer"/>.</summary>
    private PreprocessTimings Run<TWriter>(ReadOnlySpan<byte> encoded, int targetWidth, int targetHeight, ref TWriter writer, out ImageHeader header)
        where TWriter : IPixelWriter, allows ref struct
    {
        var started = Stopwatch.GetTimestamp();
        using var data = CopyData(encoded);
        using var codec = OpenCodec(encoded, data);
        header = Plan(codec, targetWidth, targetHeight, encoded.Length);
        var opened = Stopwatch.GetTimestamp();
        var origin = codec.EncodedOrigin;
        var swapsAxes = OrientationMap.SwapsAxes(origin);
        var size = new SKSizeI(header.DecodeWidth, header.DecodeHeight);
        var (width, height, buffer) = (_turboJpeg && codec.EncodedFormat == SKEncodedImageFormat.Jpeg ? DecodeJpeg(encoded, codec, size) : null)
            ?? DecodePixels(codec, size, header.Format, encoded.Length);
        try
        {
            var decoded = Stopwatch.GetTimestamp();
            // The filters run in the encoded (stored) frame; the writer puts each pixel at its upright place.
            var horizontal = Weights(width, swapsAxes ? targetHeight : targetWidth);
            var vertical = Weights(height, swapsAxes ? targetWidth : targetHeight);
            PixelResampler.Resample(buffer.AsSpan(0, width * height * 4), width, height, horizontal, vertical,
                new OrientationMap(origin, targetWidth, targetHeight), ref writer);
            return PreprocessTimings.From(started, opened, decoded, Stopwatch.GetTimestamp());
        }
        finally
        {
            ReturnBuffer(buffer);
        }
    }

    /// <summary>The taps of one axis, cached per (source, target) length: a camera's frames all share them.</summary>
    private ResampleWeights Weights(int from, int to)
    {
        if (_weights.TryGetValue((from, to), out var cached))
        {
            return cached;
        }

        var weights = ResampleWeights.Create(from, to, Options.Resampler);
        if (_weights.Count >= 256)
        {
            _weights.Clear(); // bounded: many distinct sizes only cost recomputation
        }

        _weights.TryAdd((from, to), weights);
        return weights;
    }

    private static SKData CopyData(ReadOnlySpan<byte> encoded)
    {
        if (encoded.IsEmpty)
        {
            throw new EmptyImageException();
        }

        return SKData.CreateCopy(encoded);
    }

    /// <summary>A codec over the data, its header checked against the limits; nothing decoded yet.</summary>
    private SKCodec OpenCodec(ReadOnlySpan<byte> encoded, SKData data)
    {
        var format = ImageSignature.Detect(encoded);
        var codec = SKCodec.Create(data);
        if (codec is null)
        {
            throw format is null
                ? new UnsupportedImageFormatException(
                    $"The data ({encoded.Length} bytes, starting {ImageSignature.Describe(encoded)}) is not an image in a supported format. Send a JPEG, PNG, WebP, BMP or GIF file.")
                : new CorruptImageException($"The {format} image ({encoded.Length} bytes) is truncated or corrupt: its header cannot be read.");
        }

        var info = codec.Info;
        if (info.Width < 1 || info.Height < 1 || info.Width > Options.MaxDimension || info.Height > Options.MaxDimension
            || (long)info.Width * info.Height > Options.MaxPixels)
        {
            codec.Dispose();
            throw new ImageTooLargeException(info.Width, info.Height, Options.MaxDimension, Options.MaxPixels);
        }

        return codec;
    }

    /// <summary>The decode size: JPEGs at the smallest libjpeg scale (k/8) still at least the target, others in full.</summary>
    private ImageHeader Plan(SKCodec codec, int targetWidth, int targetHeight, long encodedBytes)
    {
        var info = codec.Info;
        var swapsAxes = OrientationMap.SwapsAxes(codec.EncodedOrigin);
        var encodedTargetWidth = swapsAxes ? targetHeight : targetWidth;
        var encodedTargetHeight = swapsAxes ? targetWidth : targetHeight;
        var decodeSize = new SKSizeI(info.Width, info.Height);
        if (Options.ScaledJpegDecoding && codec.EncodedFormat == SKEncodedImageFormat.Jpeg)
        {
            foreach (var eighths in Options.JpegScales == JpegScales.PowersOfTwo ? PowerOfTwoEighths : AllEighths)
            {
                var scaled = codec.GetScaledDimensions(eighths / 8f);
                if (scaled.Width >= encodedTargetWidth && scaled.Height >= encodedTargetHeight)
                {
                    decodeSize = scaled;
                    break;
                }
            }
        }

        return new ImageHeader(codec.EncodedFormat.ToString().ToUpperInvariant(),
            swapsAxes ? info.Height : info.Width, swapsAxes ? info.Width : info.Height,
            decodeSize.Width, decodeSize.Height, targetWidth, targetHeight, encodedBytes);
    }

    private static readonly int[] AllEighths = [1, 2, 3, 4, 5, 6, 7];
    private static readonly int[] PowerOfTwoEighths = [1, 2, 4];

    /// <summary>
    /// A JPEG through the system's TurboJPEG into a pooled buffer (the caller returns it), 4 bytes a pixel as SkiaSharp
    /// decodes it; null for a colour space TurboJPEG cannot convert to RGB (CMYK, YCCK), which SkiaSharp then decodes.
    /// </summary>
    private static (int Width, int Height, byte[] Buffer)? DecodeJpeg(ReadOnlySpan<byte> encoded, SKCodec codec, SKSizeI size)
    {
        var bytes = size.Width * size.Height * 4;
        var buffer = bytes <= MaxPooledBufferBytes ? PixelBuffers.Rent(bytes) : GC.AllocateUninitializedArray<byte>(bytes);
        try
        {
            if (TurboJpeg.TryDecode(encoded, size.Width, size.Height, buffer.AsSpan(0, bytes),
                    $"JPEG image ({codec.Info.Width}×{codec.Info.Height}, {encoded.Length} bytes)"))
            {
                return (size.Width, size.Height, buffer);
            }
        }
        catch
        {
            ReturnBuffer(buffer);
            throw;
        }

        ReturnBuffer(buffer);
        return null;
    }

    /// <summary>Decodes into a pooled buffer (the caller returns it): RGBA_8888, alpha unpremultiplied (then ignored).</summary>
    private static (int Width, int Height, byte[] Buffer) DecodePixels(SKCodec codec, SKSizeI size, string formatName, int byteCount)
    {
        // Unpremul keeps the stored RGB of translucent pixels, which is what dropping alpha must expose.
        var info = new SKImageInfo(size.Width, size.Height, SKColorType.Rgba8888,
            codec.Info.AlphaType == SKAlphaType.Opaque ? SKAlphaType.Opaque : SKAlphaType.Unpremul);
        var bytes = size.Width * size.Height * 4;
        var buffer = bytes <= MaxPooledBufferBytes ? PixelBuffers.Rent(bytes) : GC.AllocateUninitializedArray<byte>(bytes);
        SKCodecResult result;
        var pin = GCHandle.Alloc(buffer, GCHandleType.Pinned);
        try
        {
            result = codec.GetPixels(info, pin.AddrOfPinnedObject());
        }
        finally
        {
            pin.Free();
        }

        if (result == SKCodecResult.Success)
        {
            return (size.Width, size.Height, buffer);
        }

        ReturnBuffer(buffer);
        if (result == SKCodecResult.InvalidScale && (size.Width != codec.Info.Width || size.Height != codec.Info.Height))
        {
            return DecodePixels(codec, new SKSizeI(codec.Info.Width, codec.Info.Height), formatName, byteCount);
        }

        var why = result switch
        {
            SKCodecResult.IncompleteInput => "is truncated (the data ends before the last pixel row)",
            SKCodecResult.ErrorInInput => "is corrupt (invalid compressed data)",
            _ => $"cannot be decoded ({result})",
        };
        throw new CorruptImageException(
            $"The {formatName} image ({codec.Info.Width}×{codec.Info.Height}, {byteCount} bytes) {why}. Send the complete file.");
    }

    private static void ReturnBuffer(byte[] buffer)
    {
        if (buffer.Length <= MaxPooledBufferBytes)
        {
            PixelBuffers.Return(buffer);
        }
    }
}

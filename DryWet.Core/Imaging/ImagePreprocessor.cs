using SkiaSharp;

namespace DryWet.Core.Imaging;

/// <summary>
/// The one preprocessing implementation of DryWet, shared by serving and by the trainer's evaluation (and as the first
/// stage of its augmentation), so a given image yields the same tensor in both:
/// decode (JPEG, PNG, WebP, BMP, GIF first frame) → EXIF orientation → drop alpha (raw RGB kept, as PIL's
/// <c>convert("RGB")</c>) → resize to exactly Width × Height, no crop (the original's <c>Resize((s, s))</c>) →
/// scale to [0, 1] → normalize with mean/std → CHW float32.
/// <para>
/// Resize: JPEGs are decoded at the smallest libjpeg-turbo scale (k/8) that is still at least the target size;
/// then the image is box-halved (2×2 average) while it is at least twice the target, and the final step uses
/// <see cref="PreprocessorOptions.Resampler"/> (Mitchell cubic by default) with edge clamping.
/// </para>
/// Pixels are requested as RGBA_8888 explicitly, so Skia's platform order (BGRA on Linux) never leaks in.
/// Thread-safe: one instance serves concurrent requests.
/// </summary>
public sealed class ImagePreprocessor
{
    private readonly float[] _lookup; // [channel * 256 + byte] = (byte / 255 - mean) / std
    private readonly SKSamplingOptions _sampling;

    public ImagePreprocessor(PreprocessorOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        Options = options;
        _lookup = new float[3 * 256];
        for (var c = 0; c < 3; c++)
        {
            for (var v = 0; v < 256; v++)
            {
                // Same float operations as torchvision: ToTensor (x / 255) then Normalize ((x - mean) / std).
                _lookup[c * 256 + v] = (v / 255f - options.Mean[c]) / options.Std[c];
            }
        }

        _sampling = options.Resampler switch
        {
            Resampler.Bilinear => new SKSamplingOptions(SKFilterMode.Linear, SKMipmapMode.None),
            Resampler.CatmullRom => new SKSamplingOptions(SKCubicResampler.CatmullRom),
            _ => new SKSamplingOptions(SKCubicResampler.Mitchell),
        };
    }

    public PreprocessorOptions Options { get; }

    /// <summary>Number of floats of one preprocessed image: 3 × Height × Width.</summary>
    public int TensorLength => 3 * Options.Width * Options.Height;

    /// <summary>Decodes, orients, drops alpha and resizes to the configured size.</summary>
    public DecodedImage Decode(ReadOnlySpan<byte> encoded) => Decode(encoded, Options.Width, Options.Height);

    /// <summary>Decodes, orients, drops alpha and resizes to exactly <paramref name="targetWidth"/> × <paramref name="targetHeight"/>.</summary>
    /// <exception cref="InvalidImageException">empty, not an image, unsupported, truncated/corrupt, or too large.</exception>
    public DecodedImage Decode(ReadOnlySpan<byte> encoded, int targetWidth, int targetHeight)
    {
        using var bitmap = DecodeBitmap(encoded, targetWidth, targetHeight, out var sourceWidth, out var sourceHeight);
        var rgba = bitmap.GetPixelSpan();
        var rgb = new byte[targetWidth * targetHeight * 3];
        for (int i = 0, j = 0; j < rgb.Length; i += 4, j += 3)
        {
            rgb[j] = rgba[i];
            rgb[j + 1] = rgba[i + 1];
            rgb[j + 2] = rgba[i + 2];
        }

        return new DecodedImage(targetWidth, targetHeight, rgb, sourceWidth, sourceHeight);
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
        WriteTensor(image.Rgb, 3, image.Width * image.Height, destinationChw);
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
    /// pooled batch buffer). Same values as <see cref="Decode(ReadOnlySpan{byte})"/> followed by <see cref="ToTensor"/>.
    /// </summary>
    public void Preprocess(ReadOnlySpan<byte> encoded, Span<float> destination)
    {
        using var bitmap = DecodeBitmap(encoded, Options.Width, Options.Height, out _, out _);
        WriteTensor(bitmap.GetPixelSpan(), 4, Options.Width * Options.Height, destination);
    }

    /// <summary>
    /// Decodes, orients, drops alpha and resizes to the configured size, as an opaque RGBA_8888 bitmap (no managed copy).
    /// The caller disposes it. Same pixels as <see cref="Decode(ReadOnlySpan{byte})"/>.
    /// </summary>
    public SKBitmap DecodeBitmap(ReadOnlySpan<byte> encoded) => DecodeBitmap(encoded, Options.Width, Options.Height, out _, out _);

    /// <summary>CHW tensor of an RGBA_8888 bitmap from <see cref="DecodeBitmap(ReadOnlySpan{byte})"/> (alpha ignored).</summary>
    public void ToTensor(SKBitmap bitmap, Span<float> destinationChw)
    {
        ArgumentNullException.ThrowIfNull(bitmap);
        if (bitmap.ColorType != SKColorType.Rgba8888)
        {
            throw new ArgumentException($"Bitmap must be RGBA_8888; it is {bitmap.ColorType}.", nameof(bitmap));
        }

        WriteTensor(bitmap.GetPixelSpan(), 4, bitmap.Width * bitmap.Height, destinationChw);
    }

    private void WriteTensor(ReadOnlySpan<byte> pixels, int stride, int planeSize, Span<float> destination)
    {
        if (destination.Length < 3 * planeSize)
        {
            throw new ArgumentException($"Destination holds {destination.Length} floats; 3 × {planeSize} = {3 * planeSize} needed.", nameof(destination));
        }

        var lookup = _lookup.AsSpan();
        var red = destination[..planeSize];
        var green = destination.Slice(planeSize, planeSize);
        var blue = destination.Slice(2 * planeSize, planeSize);
        for (int p = 0, i = 0; p < planeSize; p++, i += stride)
        {
            red[p] = lookup[pixels[i]];
            green[p] = lookup[256 + pixels[i + 1]];
            blue[p] = lookup[512 + pixels[i + 2]];
        }
    }

    /// <summary>
    /// Reads the header only (no pixel memory): format, size and the memory that preprocessing it to the configured
    /// size will hold (<see cref="ImageHeader.WorkingBytes"/>), so a caller can reserve that much before decoding.
    /// </summary>
    /// <exception cref="InvalidImageException">empty, not an image, header unreadable, or more pixels than allowed.</exception>
    public ImageHeader ReadHeader(ReadOnlySpan<byte> encoded)
    {
        using var data = CopyData(encoded);
        using var codec = OpenCodec(encoded, data);
        return Plan(codec, Options.Width, Options.Height, encoded.Length);
    }

    /// <summary>The decode/orient/resize core: an opaque RGBA_8888 bitmap of exactly the target size.</summary>
    private SKBitmap DecodeBitmap(ReadOnlySpan<byte> encoded, int targetWidth, int targetHeight, out int sourceWidth, out int sourceHeight)
    {
        if (targetWidth < 1 || targetHeight < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(targetWidth), $"Target size {targetWidth}×{targetHeight} must be positive.");
        }

        using var data = CopyData(encoded);
        using var codec = OpenCodec(encoded, data);
        var header = Plan(codec, targetWidth, targetHeight, encoded.Length);
        sourceWidth = header.Width;
        sourceHeight = header.Height;
        var origin = codec.EncodedOrigin;
        var swapsAxes = SwapsAxes(origin);
        // The target size in the encoded (unrotated) frame.
        var encodedTargetWidth = swapsAxes ? targetHeight : targetWidth;
        var encodedTargetHeight = swapsAxes ? targetWidth : targetHeight;

        var decoded = DecodePixels(codec, new SKSizeI(header.DecodeWidth, header.DecodeHeight), header.Format, encoded.Length);
        try
        {
            if (codec.Info.AlphaType != SKAlphaType.Opaque)
            {
                DropAlpha(decoded.GetPixelSpan());
            }

            // Box-halve large reductions so the final filter never skips source pixels (no aliasing).
            while (decoded.Width >= 2 * encodedTargetWidth && decoded.Height >= 2 * encodedTargetHeight)
            {
                var half = new SKBitmap(new SKImageInfo(decoded.Width / 2, decoded.Height / 2, SKColorType.Rgba8888, SKAlphaType.Opaque));
                using (var from = decoded.PeekPixels())
                using (var to = half.PeekPixels())
                {
                    from.ScalePixels(to, new SKSamplingOptions(SKFilterMode.Linear, SKMipmapMode.None));
                }

                decoded.Dispose();
                decoded = half;
            }

            return Resize(decoded, origin, targetWidth, targetHeight);
        }
        finally
        {
            decoded.Dispose();
        }
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
        var swapsAxes = SwapsAxes(codec.EncodedOrigin);
        var encodedTargetWidth = swapsAxes ? targetHeight : targetWidth;
        var encodedTargetHeight = swapsAxes ? targetWidth : targetHeight;
        var decodeSize = new SKSizeI(info.Width, info.Height);
        if (Options.ScaledJpegDecoding && codec.EncodedFormat == SKEncodedImageFormat.Jpeg)
        {
            for (var eighths = 1; eighths < 8; eighths++)
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

    private static bool SwapsAxes(SKEncodedOrigin origin) =>
        origin is SKEncodedOrigin.LeftTop or SKEncodedOrigin.RightTop or SKEncodedOrigin.RightBottom or SKEncodedOrigin.LeftBottom;

    private static SKBitmap DecodePixels(SKCodec codec, SKSizeI size, string formatName, int byteCount)
    {
        // Unpremul keeps the stored RGB of translucent pixels, which is what dropping alpha must expose.
        var info = new SKImageInfo(size.Width, size.Height, SKColorType.Rgba8888,
            codec.Info.AlphaType == SKAlphaType.Opaque ? SKAlphaType.Opaque : SKAlphaType.Unpremul);
        var bitmap = new SKBitmap(info);
        var result = codec.GetPixels(info, bitmap.GetPixels());
        if (result == SKCodecResult.InvalidScale && (size.Width != codec.Info.Width || size.Height != codec.Info.Height))
        {
            bitmap.Dispose();
            return DecodePixels(codec, new SKSizeI(codec.Info.Width, codec.Info.Height), formatName, byteCount);
        }

        if (result != SKCodecResult.Success)
        {
            bitmap.Dispose();
            var why = result switch
            {
                SKCodecResult.IncompleteInput => "is truncated (the data ends before the last pixel row)",
                SKCodecResult.ErrorInInput => "is corrupt (invalid compressed data)",
                _ => $"cannot be decoded ({result})",
            };
            throw new CorruptImageException(
                $"The {formatName} image ({codec.Info.Width}×{codec.Info.Height}, {byteCount} bytes) {why}. Send the complete file.");
        }

        return bitmap;
    }

    private static void DropAlpha(Span<byte> rgba)
    {
        for (var i = 3; i < rgba.Length; i += 4)
        {
            rgba[i] = 255;
        }
    }

    private SKBitmap Resize(SKBitmap source, SKEncodedOrigin origin, int targetWidth, int targetHeight)
    {
        float w = source.Width, h = source.Height;

        // Maps encoded pixel coordinates to the displayed (oriented) frame; EXIF orientations 1-8.
        var orient = origin switch
        {
            SKEncodedOrigin.TopRight => new SKMatrix(-1, 0, w, 0, 1, 0, 0, 0, 1),
            SKEncodedOrigin.BottomRight => new SKMatrix(-1, 0, w, 0, -1, h, 0, 0, 1),
            SKEncodedOrigin.BottomLeft => new SKMatrix(1, 0, 0, 0, -1, h, 0, 0, 1),
            SKEncodedOrigin.LeftTop => new SKMatrix(0, 1, 0, 1, 0, 0, 0, 0, 1),
            SKEncodedOrigin.RightTop => new SKMatrix(0, -1, h, 1, 0, 0, 0, 0, 1),
            SKEncodedOrigin.RightBottom => new SKMatrix(0, -1, h, -1, 0, w, 0, 0, 1),
            SKEncodedOrigin.LeftBottom => new SKMatrix(0, 1, 0, -1, 0, w, 0, 0, 1),
            _ => SKMatrix.Identity,
        };
        var swapsAxes = SwapsAxes(origin);
        var orientedWidth = swapsAxes ? h : w;
        var orientedHeight = swapsAxes ? w : h;
        var matrix = SKMatrix.CreateScale(targetWidth / orientedWidth, targetHeight / orientedHeight).PreConcat(orient);

        var target = new SKBitmap(new SKImageInfo(targetWidth, targetHeight, SKColorType.Rgba8888, SKAlphaType.Opaque));
        try
        {
            using var pixmap = source.PeekPixels();
            using var image = SKImage.FromPixels(pixmap);
            // Clamp: edge pixels repeat instead of fading to transparent black.
            // Same size (only reoriented): copy pixels as they are; a cubic filter would soften them.
            var sampling = orientedWidth == targetWidth && orientedHeight == targetHeight
                ? new SKSamplingOptions(SKFilterMode.Nearest, SKMipmapMode.None)
                : _sampling;
            using var shader = image.ToShader(SKShaderTileMode.Clamp, SKShaderTileMode.Clamp, sampling, matrix);
            using var paint = new SKPaint { Shader = shader, BlendMode = SKBlendMode.Src };
            using var canvas = new SKCanvas(target);
            canvas.DrawRect(0, 0, targetWidth, targetHeight, paint);
            canvas.Flush();
            return target;
        }
        catch
        {
            target.Dispose();
            throw;
        }
    }
}

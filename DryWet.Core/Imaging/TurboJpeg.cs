using System.Runtime.InteropServices;

namespace DryWet.Core.Imaging;

/// <summary>
/// JPEG decoding through the system's libjpeg-turbo TurboJPEG library (<c>libturbojpeg.so.0</c>, Debian's
/// <c>libturbojpeg0</c>), which runs its SIMD kernels (SSE2/AVX2 IDCT, upsampling and colour conversion). SkiaSharp's
/// x64 native library carries libjpeg-turbo without them, so the same decode costs it more. Both are libjpeg-turbo
/// with the accurate integer IDCT and fancy upsampling, whose SIMD and C paths are bit-exact; DryWet checks that the
/// two give identical pixels (<c>JpegDecoderParityTests</c>), so which one runs changes speed, never a tensor.
/// </summary>
internal static class TurboJpeg
{
    private const string Library = "libturbojpeg.so.0";
    private const int PixelFormatRgbx = 2; // TJPF_RGBX: R, G, B, then 0xFF
    private const int FlagLimitScans = 32768; // TJFLAG_LIMITSCANS: refuse a progressive JPEG of more than 500 scans
    private const int ErrorWarning = 0; // TJERR_WARNING

    private static readonly Lazy<bool> Loaded = new(() => NativeLibrary.TryLoad(Library, typeof(TurboJpeg).Assembly, null, out _));

    /// <summary>True when the library can be loaded on this machine.</summary>
    public static bool IsAvailable => OperatingSystem.IsLinux() && Loaded.Value;

    /// <summary>
    /// Decodes a JPEG at <paramref name="width"/> × <paramref name="height"/> (a size of one of its k/8 DCT scales) into
    /// <paramref name="rgbx"/>, 4 bytes a pixel. Returns false, decoding nothing, for colour spaces it cannot convert
    /// to RGB (CMYK, YCCK): the caller decodes those another way. Throws <see cref="CorruptImageException"/> for data
    /// libjpeg-turbo refuses, naming <paramref name="what"/>.
    /// </summary>
    public static bool TryDecode(ReadOnlySpan<byte> jpeg, int width, int height, Span<byte> rgbx, string what)
    {
        var handle = InitDecompress();
        if (handle == 0)
        {
            throw new InvalidOperationException("libjpeg-turbo could not allocate a decompressor (out of memory).");
        }

        try
        {
            ref var source = ref MemoryMarshal.GetReference(jpeg);
            if (DecompressHeader(handle, ref source, (nuint)jpeg.Length, out _, out _, out _, out var colorspace) != 0)
            {
                throw Refused(handle, what);
            }

            if (colorspace is 3 or 4) // TJCS_CMYK, TJCS_YCCK
            {
                return false;
            }

            var result = Decompress(handle, ref source, (nuint)jpeg.Length, ref MemoryMarshal.GetReference(rgbx), width, width * 4, height,
                PixelFormatRgbx, FlagLimitScans);
            // A warning leaves a complete image (libjpeg carries on past it, as SkiaSharp's decoder does), except the
            // end of the data arriving before the last row, which SkiaSharp also refuses.
            if (result != 0 && (GetErrorCode(handle) != ErrorWarning || Message(handle).StartsWith("Premature end", StringComparison.Ordinal)))
            {
                throw Refused(handle, what);
            }

            return true;
        }
        finally
        {
            _ = Destroy(handle);
        }
    }

    private static CorruptImageException Refused(nint handle, string what)
    {
        var message = Message(handle);
        return new CorruptImageException(message.StartsWith("Premature end", StringComparison.Ordinal)
            ? $"The {what} is truncated (the data ends before the last pixel row). Send the complete file."
            : $"The {what} is corrupt ({message}). Send the complete file.");
    }

    private static string Message(nint handle) => Marshal.PtrToStringUTF8(GetErrorString(handle)) ?? "unknown error";

    // DllImport, not LibraryImport: every signature is blittable (refs pin), so no marshalling stub is generated.
#pragma warning disable SYSLIB1054
    [DllImport(Library, EntryPoint = "tjInitDecompress")]
    private static extern nint InitDecompress();

    [DllImport(Library, EntryPoint = "tjDecompressHeader3")]
    private static extern int DecompressHeader(nint handle, ref byte jpeg, nuint size, out int width, out int height, out int subsampling,
        out int colorspace);

    [DllImport(Library, EntryPoint = "tjDecompress2")]
    private static extern int Decompress(nint handle, ref byte jpeg, nuint size, ref byte destination, int width, int pitch, int height,
        int pixelFormat, int flags);

    [DllImport(Library, EntryPoint = "tjGetErrorStr2")]
    private static extern nint GetErrorString(nint handle);

    [DllImport(Library, EntryPoint = "tjGetErrorCode")]
    private static extern int GetErrorCode(nint handle);

    [DllImport(Library, EntryPoint = "tjDestroy")]
    private static extern int Destroy(nint handle);
#pragma warning restore SYSLIB1054
}

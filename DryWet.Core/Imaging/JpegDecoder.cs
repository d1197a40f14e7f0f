namespace DryWet.Core.Imaging;

/// <summary>
/// Which libjpeg-turbo build decodes JPEGs. Both give identical pixels (the accurate integer IDCT and fancy upsampling,
/// bit-exact with and without SIMD); they differ in speed only.
/// </summary>
public enum JpegDecoder
{
    /// <summary>The system's TurboJPEG library (<c>libturbojpeg.so.0</c>, with SIMD) when it loads, else SkiaSharp's. The default.</summary>
    Auto,

    /// <summary>SkiaSharp's own libjpeg-turbo (no SIMD in its x64 build).</summary>
    SkiaSharp,

    /// <summary>The system's TurboJPEG library, required: the preprocessor refuses to start without it.</summary>
    TurboJpeg,
}

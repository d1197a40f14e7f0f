namespace DryWet.Core.Imaging;

/// <summary>Recognizes supported formats by their magic bytes, to tell "truncated PNG" from "not an image".</summary>
internal static class ImageSignature
{
    public static string? Detect(ReadOnlySpan<byte> data)
    {
        if (data.StartsWith((ReadOnlySpan<byte>)[0xFF, 0xD8]))
        {
            return "JPEG";
        }

        if (data.StartsWith((ReadOnlySpan<byte>)[0x89, (byte)'P', (byte)'N', (byte)'G']))
        {
            return "PNG";
        }

        if (data.StartsWith("GIF8"u8))
        {
            return "GIF";
        }

        if (data.StartsWith("BM"u8) && data.Length >= 14)
        {
            return "BMP";
        }

        if (data.StartsWith("RIFF"u8) && data.Length >= 12 && data.Slice(8, 4).SequenceEqual("WEBP"u8))
        {
            return "WebP";
        }

        return null;
    }

    /// <summary>The first bytes as hex (and as text when printable), for error messages.</summary>
    public static string Describe(ReadOnlySpan<byte> data)
    {
        var head = data[..Math.Min(8, data.Length)];
        var hex = Convert.ToHexString(head);
        var printable = true;
        foreach (var b in head)
        {
            printable &= b is >= 0x20 and < 0x7F;
        }

        return printable ? $"0x{hex} \"{System.Text.Encoding.ASCII.GetString(head)}\"" : $"0x{hex}";
    }
}

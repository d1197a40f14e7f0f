using System.IO.Compression;
using DryWet.TrainingWorker.Data;

namespace DryWet.Tests.Watching;

/// <summary>
/// Two training zips of exactly the same size and different content (a dry and a wet road photo each, other photos in
/// each, stored uncompressed and padded to one length after the JPEG's end marker): a replacement that a listing's
/// size and whole-second time cannot tell from the original.
/// </summary>
internal static class SameSizeArchives
{
    private const int ImageBytes = 8 * 1024;

    public static (string First, string Second) Write(string folder)
    {
        Directory.CreateDirectory(folder);
        var first = Write(Path.Combine(folder, "same-size-1.zip"), seed: 1);
        var second = Write(Path.Combine(folder, "same-size-2.zip"), seed: 2);
        new FileInfo(second).Length.ShouldBe(new FileInfo(first).Length);
        File.ReadAllBytes(second).ShouldNotBe(File.ReadAllBytes(first));
        return (first, second);
    }

    private static string Write(string path, int seed)
    {
        using var zip = ZipFile.Open(path, ZipArchiveMode.Create);
        foreach (var wet in new[] { false, true })
        {
            var jpeg = SyntheticRoadGenerator.DrawJpeg(wet, 16, seed);
            jpeg.Length.ShouldBeLessThanOrEqualTo(ImageBytes);
            var entry = zip.CreateEntry(wet ? "wet/road.jpg" : "dry/road.jpg", CompressionLevel.NoCompression);
            entry.LastWriteTime = new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);
            using var stream = entry.Open();
            stream.Write(jpeg);
            stream.Write(new byte[ImageBytes - jpeg.Length]); // after the end marker: decoders stop before it
        }

        return path;
    }
}

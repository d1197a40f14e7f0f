using System.Globalization;
using System.Text.RegularExpressions;
using DryWet.Core.Imaging;

namespace DryWet.Core.Feedback;

/// <summary>
/// Where logged predictions live: bucket <c>ml-feedback</c>, keys <c>predictions/&lt;yyyy-MM-dd&gt;/&lt;id&gt;.&lt;ext&gt;</c>
/// (the image) and <c>predictions/&lt;yyyy-MM-dd&gt;/&lt;id&gt;.json</c> (its <see cref="PredictionLogRecord"/>), the date
/// being the prediction's UTC day. Serving writes this layout, the web's review page and retention read it.
/// </summary>
public static partial class PredictionLogLayout
{
    public const string Bucket = Platform.PlatformNames.FeedbackBucket;
    public const string Prefix = "predictions/";
    public const string DateFormat = "yyyy-MM-dd";

    public static string DateFolder(DateTimeOffset time) => time.UtcDateTime.ToString(DateFormat, CultureInfo.InvariantCulture);

    public static string ImageKey(DateTimeOffset time, string id, string extension) => $"{Prefix}{DateFolder(time)}/{id}.{extension}";

    public static string RecordKey(DateTimeOffset time, string id) => $"{Prefix}{DateFolder(time)}/{id}.json";

    /// <summary>The UTC day a key's date folder names, or null for a key outside the layout.</summary>
    public static DateOnly? DayOf(string key)
    {
        var match = DateFolderPattern().Match(key);
        return match.Success && DateOnly.TryParseExact(match.Groups["date"].Value, DateFormat, CultureInfo.InvariantCulture, DateTimeStyles.None, out var day)
            ? day
            : null;
    }

    /// <summary>
    /// The media type and file extension of an image from its magic bytes, not from what the client declared: the
    /// stored file must open as what its name says.
    /// </summary>
    public static (string ContentType, string Extension) ImageFormat(ReadOnlySpan<byte> image) => ImageSignature.Detect(image) switch
    {
        "JPEG" => ("image/jpeg", "jpg"),
        "PNG" => ("image/png", "png"),
        "GIF" => ("image/gif", "gif"),
        "BMP" => ("image/bmp", "bmp"),
        "WebP" => ("image/webp", "webp"),
        _ => ("application/octet-stream", "bin"),
    };

    [GeneratedRegex(@"^predictions/(?<date>\d{4}-\d{2}-\d{2})/")]
    private static partial Regex DateFolderPattern();
}

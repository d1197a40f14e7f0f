using System.Globalization;

namespace DryWet.AppHost.Platform;

/// <summary><c>DryWet:SampleData</c>: the size of the generated sample dataset, passed to the trainer's <c>sample-data</c> command when set.</summary>
public sealed class SampleDataSettings
{
    /// <summary>Images per class (<c>--count</c>); unset: the trainer's default.</summary>
    public int? Count { get; set; }

    /// <summary>Image width and height in pixels (<c>--size</c>); unset: the trainer's default.</summary>
    public int? Size { get; set; }

    /// <summary>The <c>sample-data</c> arguments of the values that are set.</summary>
    public IReadOnlyList<string> Arguments() =>
        [.. Count is { } count ? ["--count", count.ToString(CultureInfo.InvariantCulture)] : Array.Empty<string>(),
            .. Size is { } size ? ["--size", size.ToString(CultureInfo.InvariantCulture)] : Array.Empty<string>()];

    public IEnumerable<string> Validate(string section)
    {
        if (Count is <= 0)
        {
            yield return $"{section}:{nameof(Count)} = {Count} is invalid: use a positive number of images per class (unset: the trainer's default).";
        }

        if (Size is <= 0)
        {
            yield return $"{section}:{nameof(Size)} = {Size} is invalid: use a positive width and height in pixels (unset: the trainer's default).";
        }
    }
}

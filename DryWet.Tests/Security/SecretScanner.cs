using System.Text;

namespace DryWet.Tests.Security;

/// <summary>
/// Finds a secret value in text as it is, base64-encoded (a Secret's data, at any of the three byte alignments it can
/// take inside a longer encoded string) or URL-encoded (a password in a connection URL). A scan that looked for the
/// plain value only would pass a manifest holding <c>c2VjcmV0</c>.
/// </summary>
internal static class SecretScanner
{
    /// <summary>The forms of <paramref name="value"/> that are searched for, with a name for the report.</summary>
    public static IEnumerable<(string Form, string Text)> Forms(string value)
    {
        yield return ("plain", value);
        var escaped = Uri.EscapeDataString(value);
        if (escaped != value)
        {
            yield return ("url-encoded", escaped);
        }

        var bytes = Encoding.UTF8.GetBytes(value);
        for (var offset = 0; offset < 3; offset++)
        {
            // Pad in front so the value starts at this byte alignment, then keep only the characters that encode the
            // value's bytes alone (the first and last quantum also carry neighbouring bytes).
            var encoded = Convert.ToBase64String([.. new byte[offset], .. bytes]);
            var start = offset == 0 ? 0 : (offset * 8 + 5) / 6;
            var end = (offset + bytes.Length) * 8 / 6;
            if (end - start >= 4)
            {
                yield return ($"base64 (alignment {offset})", encoded[start..end]);
            }
        }
    }

    /// <summary>Every form of every value found in <paramref name="text"/>: "value as form".</summary>
    public static List<string> Find(string text, IEnumerable<string> values) =>
        [.. values.Where(v => v.Length >= 4)
            .SelectMany(v => Forms(v).Where(f => text.Contains(f.Text, StringComparison.Ordinal)).Select(f => $"{Mask(v)} ({f.Form})"))];

    /// <summary>Enough of a value to recognise it in a failure message, not enough to use it.</summary>
    private static string Mask(string value) => value.Length <= 4 ? "****" : $"{value[..2]}…{value[^2..]}";
}

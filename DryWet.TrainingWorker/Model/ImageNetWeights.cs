namespace DryWet.TrainingWorker.Model;

/// <summary>
/// torchvision's <c>IMAGENET1K_V1</c> weights for EfficientNet B0–B7 (<c>torchvision.models.EfficientNet_B*_Weights</c>):
/// the same file names, so the same URLs under the same base, and torchvision's rule that the part of the name after
/// the last '-' is a prefix of the file's SHA-256. efficientnet_tiny is DryWet's own and has no published weights.
/// </summary>
public static class ImageNetWeights
{
    /// <summary>Where torchvision downloads them from; <c>DryWet:Weights:BaseUrl</c> points elsewhere (a mirror).</summary>
    public static readonly Uri DefaultBaseUrl = new("https://download.pytorch.org/models/");

    private static readonly Dictionary<string, string> Files = new(StringComparer.OrdinalIgnoreCase)
    {
        ["efficientnet_b0"] = "efficientnet_b0_rwightman-7f5810bc.pth",
        ["efficientnet_b1"] = "efficientnet_b1_rwightman-bac287d4.pth",
        ["efficientnet_b2"] = "efficientnet_b2_rwightman-c35c1473.pth",
        ["efficientnet_b3"] = "efficientnet_b3_rwightman-b3899882.pth",
        ["efficientnet_b4"] = "efficientnet_b4_rwightman-23ab8bcd.pth",
        ["efficientnet_b5"] = "efficientnet_b5_lukemelas-1a07897c.pth",
        ["efficientnet_b6"] = "efficientnet_b6_lukemelas-24a108a5.pth",
        ["efficientnet_b7"] = "efficientnet_b7_lukemelas-c5b4e57e.pth",
    };

    /// <summary>torchvision's file name for the variant, or null (efficientnet_tiny).</summary>
    public static string? FileNameFor(string architecture) => Files.GetValueOrDefault(architecture);

    /// <summary>
    /// torchvision's <c>check_hash</c> convention: <c>name-&lt;hex&gt;.ext</c> carries a prefix of the file's SHA-256
    /// (lower-case hex); null when the name carries none.
    /// </summary>
    public static string? HashPrefix(string fileName)
    {
        var stem = Path.GetFileName(fileName);
        var dash = stem.LastIndexOf('-');
        var dot = stem.IndexOf('.', dash + 1);
        if (dash < 0 || dot <= dash + 1)
        {
            return null;
        }

        var prefix = stem[(dash + 1)..dot];
        return prefix.All(Uri.IsHexDigit) ? prefix.ToLowerInvariant() : null;
    }
}

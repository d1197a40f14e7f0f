namespace DryWet.Core.Packaging;

/// <summary>
/// The promotion gate's word on a package's INT8 graph, after evaluating it as served on the same images as the fp32
/// graph: <see cref="Vouched"/> (within <c>evaluation.max_quantization_drop</c>) or <see cref="Refused"/>. Written as
/// registry version tag <see cref="Tag"/> (with the numbers in <see cref="ReasonTag"/>) and as MLmodel
/// <c>metadata.int8_gate</c> of the package the gate judged; serving's <c>Model:Precision auto</c> reads it.
/// </summary>
public static class Int8Verdict
{
    public const string Tag = "drywet.int8";
    public const string ReasonTag = "drywet.int8.reason";
    public const string Vouched = "vouched";
    public const string Refused = "refused";

    public static string Of(bool vouched) => vouched ? Vouched : Refused;

    /// <summary>Null for null; throws a <see cref="DryWetException"/> naming <paramref name="where"/> for anything but the two words.</summary>
    public static string? Parse(string? value, string where) => value switch
    {
        null => null,
        Vouched or Refused => value,
        _ => throw new DryWetException($"{where} = '{value}' is not an INT8 verdict: use '{Vouched}' or '{Refused}'."),
    };
}

using System.Text.Json;

namespace DryWet.Benchmarks.Abuse;

/// <summary>How the report file is written (and read back by its test): camelCase, indented.</summary>
internal static class AbuseReportJson
{
    public static readonly JsonSerializerOptions Options = new(JsonSerializerDefaults.Web) { WriteIndented = true };
}

using System.Globalization;
using Spectre.Console;

namespace DryWet.Benchmarks.Abuse;

/// <summary>The report on the console: a Spectre.Console table on a terminal, Markdown table lines otherwise (for a log or the docs).</summary>
internal static class AbuseReportPrinter
{
    private static readonly string[] Headers =
        ["scenario", "clients", "requests: status mix", "request p99", "serving /alive p99 (max)", "serving peak RSS", "web /alive p99 (max)", "web peak RSS", "next valid request"];

    public static void Print(AbuseReport report, string reportPath)
    {
        var rows = report.Scenarios.Select(Cells).ToList();
        Console.WriteLine();
        if (Console.IsOutputRedirected)
        {
            Console.WriteLine($"| {string.Join(" | ", Headers)} |");
            Console.WriteLine($"|{string.Concat(Enumerable.Repeat("---|", Headers.Length))}");
            foreach (var row in rows)
            {
                Console.WriteLine($"| {string.Join(" | ", row)} |");
            }
        }
        else
        {
            var table = new Table().Border(TableBorder.Rounded);
            foreach (var header in Headers)
            {
                table.AddColumn(new TableColumn(Markup.Escape(header)));
            }

            foreach (var row in rows)
            {
                table.AddRow(row.Select(cell => new Text(cell)).ToArray<Spectre.Console.Rendering.IRenderable>());
            }

            AnsiConsole.Write(table);
        }

        Console.WriteLine(Invariant($"Peak RSS over the run: serving {report.ServingPeakRssMb:F0} MB (limit {report.Limits.ServingRssMb:F0}), web {report.WebPeakRssMb:F0} MB (limit {report.Limits.WebRssMb:F0}); load average {report.LoadAverageStart} → {report.LoadAverageEnd}"));
        if (report.Drift is { } drift)
        {
            Console.WriteLine(Invariant($"Soak drift (RSS at the end of the first window → the last): serving {drift.ServingFirstEndMb:F0} → {drift.ServingLastEndMb:F0} MB ({drift.ServingMb:+0;-0} MB), web {drift.WebFirstEndMb:F0} → {drift.WebLastEndMb:F0} MB ({drift.WebMb:+0;-0} MB)"));
        }

        Console.WriteLine(report.Violations.Count == 0 ? "No limit violated." : $"{report.Violations.Count} limit(s) violated:");
        foreach (var violation in report.Violations)
        {
            Console.WriteLine($"  - {violation}");
        }

        Console.WriteLine($"Report: {reportPath}");
    }

    private static string[] Cells(ScenarioResult r)
    {
        var mix = r.Requests.ToString();
        if (r.Reloads is { } reloads)
        {
            mix += $"; reloads: {reloads}";
        }

        if (r.Thumbnails is { } thumbnails)
        {
            mix += $"; thumbnails: {thumbnails}";
        }

        return
        [
            r.Name,
            r.Clients.ToString(CultureInfo.InvariantCulture),
            $"{r.Requests.Total}: {mix}",
            Invariant($"{r.Latency.P99Ms:F0} ms"),
            Invariant($"{r.ServingAlive.Latency.P99Ms:F0} ({r.ServingAlive.Latency.MaxMs:F0}) ms"),
            Invariant($"{r.ServingMemory.PeakMb:F0} MB ({r.ServingMemory.StartMb:F0} → {r.ServingMemory.EndMb:F0})"),
            Invariant($"{r.WebAlive.Latency.P99Ms:F0} ({r.WebAlive.Latency.MaxMs:F0}) ms"),
            Invariant($"{r.WebMemory.PeakMb:F0} MB ({r.WebMemory.StartMb:F0} → {r.WebMemory.EndMb:F0})"),
            Invariant($"{r.Recovery.Status?.ToString(CultureInfo.InvariantCulture) ?? "none"} in {r.Recovery.Milliseconds:F0} ms"),
        ];
    }

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}

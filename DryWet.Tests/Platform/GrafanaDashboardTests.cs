using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace DryWet.Tests.Platform;

/// <summary>The provisioned Grafana dashboard parses and queries the metrics DryWet.Serving exports.</summary>
public partial class GrafanaDashboardTests
{
    private static readonly string DashboardPath = RepositoryPaths.Combine("platform", "manifests", "monitoring", "dashboards", "drywet-serving.json");

    // Names DryWet.Serving's ServingTelemetry registers (Prometheus exposition names).
    private static readonly string[] ServingMetrics =
    [
        "drywet_requests_total", "drywet_request_duration_seconds", "drywet_predictions_total",
        "drywet_model_reloads_total", "drywet_model_info", "drywet_inference_duration_seconds",
        "drywet_prediction_confidence", "drywet_input_brightness", "drywet_prediction_log_written_total", "drywet_prediction_log_dropped_total",
    ];

    // The trainer's gate (DryWet.TrainingWorker, meter DryWet.Training).
    private const string PromotionMetric = "drywet_promotion_decisions_total";

    private static JsonObject Load() => JsonNode.Parse(File.ReadAllText(DashboardPath))!.AsObject();

    private static IEnumerable<(string Panel, string Expr)> Queries(JsonObject dashboard) =>
        dashboard["panels"]!.AsArray().SelectMany(p => p!["targets"]!.AsArray()
            .Select(t => (p["title"]!.GetValue<string>(), t!["expr"]!.GetValue<string>())));

    [Fact]
    public void Dashboard_queries_request_rate_latency_predictions_by_class_model_version_and_reloads()
    {
        var dashboard = Load();
        dashboard["uid"]!.GetValue<string>().ShouldBe("drywet-serving");
        var used = Queries(dashboard).SelectMany(q => Metric().Matches(q.Expr).Select(m => m.Value))
            .Select(m => Regex.Replace(m, "_(bucket|count|sum)$", "")).ToHashSet();
        used.ShouldBeSubsetOf(ServingMetrics.Append("drywet_rejected_images_total").Append(PromotionMetric));
        ServingMetrics.ShouldBeSubsetOf(used);
        Queries(dashboard).ShouldContain(q => q.Expr.Contains("by (class)") && q.Expr.Contains("drywet_predictions_total"));
        Queries(dashboard).ShouldContain(q => q.Expr.Contains("histogram_quantile(0.99") && q.Expr.Contains("drywet_request_duration_seconds_bucket"));
        Queries(dashboard).ShouldContain(q => q.Expr.Contains("histogram_quantile(0.5") && q.Expr.Contains("drywet_request_duration_seconds_bucket"));
        Queries(dashboard).ShouldContain(q => q.Expr.Contains("by (name, version, provider)") && q.Expr.Contains("drywet_model_info"));
        Queries(dashboard).ShouldContain(q => q.Expr.Contains("by (outcome)") && q.Expr.Contains("drywet_model_reloads_total"));
    }

    [Fact]
    public void Dashboard_shows_drift_per_model_version_the_prediction_log_and_promotions()
    {
        var queries = Queries(Load()).ToList();
        queries.ShouldContain(q => q.Expr.Contains("by (model_version, class)") && q.Expr.Contains("drywet_predictions_total"), "class share per version");
        queries.ShouldContain(q => q.Expr.Contains("by (model_version)") && q.Expr.Contains("drywet_prediction_confidence_sum")
                                   && q.Expr.Contains("drywet_prediction_confidence_count"), "mean confidence per version");
        queries.ShouldContain(q => q.Expr.Contains("drywet_prediction_confidence_bucket") && q.Expr.Contains("by (le)"), "confidence heatmap");
        queries.ShouldContain(q => q.Expr.Contains("drywet_input_brightness_bucket") && q.Expr.Contains("by (le)"), "brightness heatmap");
        queries.ShouldContain(q => q.Expr.Contains("by (reason)") && q.Expr.Contains("drywet_prediction_log_dropped_total"));
        queries.ShouldContain(q => q.Expr.Contains("by (outcome)") && q.Expr.Contains(PromotionMetric));
        Load()["panels"]!.AsArray().Where(p => p!["type"]!.GetValue<string>() == "heatmap")
            .ShouldAllBe(p => p!["targets"]!.AsArray().All(t => t!["format"]!.GetValue<string>() == "heatmap"));
    }

    [Fact]
    public void Every_panel_and_query_uses_the_datasource_variable_and_panels_do_not_overlap()
    {
        var dashboard = Load();
        dashboard["templating"]!["list"]!.AsArray().ShouldContain(v => v!["name"]!.GetValue<string>() == "datasource" && v["query"]!.GetValue<string>() == "prometheus");
        var boxes = new List<(int X, int Y, int W, int H, string Title)>();
        var ids = new HashSet<int>();
        foreach (var panel in dashboard["panels"]!.AsArray())
        {
            ids.Add(panel!["id"]!.GetValue<int>()).ShouldBeTrue("panel ids are unique");
            panel["datasource"]!["uid"]!.GetValue<string>().ShouldBe("${datasource}");
            panel["targets"]!.AsArray().ShouldAllBe(t => t!["datasource"]!["uid"]!.GetValue<string>() == "${datasource}");
            var g = panel["gridPos"]!;
            var box = (g["x"]!.GetValue<int>(), g["y"]!.GetValue<int>(), g["w"]!.GetValue<int>(), g["h"]!.GetValue<int>(), panel["title"]!.GetValue<string>());
            (box.Item1 + box.Item3).ShouldBeLessThanOrEqualTo(24, box.Item5);
            boxes.ShouldAllBe(b => b.X + b.W <= box.Item1 || box.Item1 + box.Item3 <= b.X || b.Y + b.H <= box.Item2 || box.Item2 + box.Item4 <= b.Y,
                $"{box.Item5} overlaps another panel");
            boxes.Add(box);
        }
    }

    [Fact]
    public void Queries_have_balanced_brackets_and_range_selectors()
    {
        foreach (var (panel, expr) in Queries(Load()))
        {
            expr.Count(c => c == '(').ShouldBe(expr.Count(c => c == ')'), $"{panel}: {expr}");
            expr.Count(c => c == '[').ShouldBe(expr.Count(c => c == ']'), $"{panel}: {expr}");
            expr.Count(c => c == '{').ShouldBe(expr.Count(c => c == '}'), $"{panel}: {expr}");
            if (expr.Contains("rate(") || expr.Contains("increase("))
            {
                expr.ShouldMatch(@"\[\$__(rate_interval|range)\]", $"{panel}: counters need a range");
            }
        }
    }

    [GeneratedRegex(@"drywet_[a-z_]+")]
    private static partial Regex Metric();
}

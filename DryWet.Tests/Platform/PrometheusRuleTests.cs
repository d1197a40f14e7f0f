using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using DryWet.Tests.Pipelines;

namespace DryWet.Tests.Platform;

/// <summary>
/// The drift alerts (platform/manifests/monitoring/drywet-drift-rules.yaml) pass Prometheus' own checks: the
/// PrometheusRule's groups are written out as a rule file and given to <c>promtool check rules</c>, and to
/// <c>promtool test rules</c> with the unit tests in platform/monitoring-tests (synthetic series: a steady day, then a
/// shift; too little history; too little traffic; a confidence drop). promtool is Debian's <c>prometheus</c> package.
/// </summary>
public sealed partial class PrometheusRuleTests : IDisposable
{
    private static readonly string RulePath = RepositoryPaths.Combine("platform", "manifests", "monitoring", "drywet-drift-rules.yaml");
    private static readonly string UnitTestPath = RepositoryPaths.Combine("platform", "monitoring-tests", "drywet-drift-rules.test.yaml");
    private readonly string _work = Storage.TestFolders.NewTempDirectory("promtool");

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static JsonNode LoadRule() => YamlToJson.LoadAll(File.ReadAllText(RulePath)).Single()!;

    [Fact]
    public void The_rule_is_a_PrometheusRule_in_monitoring_and_queries_only_metrics_serving_exports()
    {
        var rule = LoadRule();
        rule["apiVersion"]!.GetValue<string>().ShouldBe("monitoring.coreos.com/v1");
        rule["kind"]!.GetValue<string>().ShouldBe("PrometheusRule");
        rule["metadata"]!["namespace"]!.GetValue<string>().ShouldBe("monitoring");
        PrometheusRuleValidator.Validate(rule).ShouldBeEmpty();

        var rules = rule["spec"]!["groups"]!.AsArray().SelectMany(g => g!["rules"]!.AsArray()).ToList();
        rules.Select(r => r!["alert"]?.GetValue<string>()).OfType<string>().ShouldBe(["DryWetClassShareDrift", "DryWetConfidenceDrift"]);
        var metrics = rules.SelectMany(r => Metric().Matches(r!["expr"]!.GetValue<string>()).Select(m => m.Value)).ToHashSet();
        metrics.ShouldBe(["drywet_predictions_total", "drywet_prediction_confidence_sum", "drywet_prediction_confidence_count"], ignoreOrder: true);
    }

    [Fact]
    public async Task Promtool_checks_the_rules_and_its_unit_tests_pass()
    {
        ProcessRunner.OnPath("promtool").ShouldBeTrue("promtool is required: apt-get install prometheus (Debian 12: 2.42)");
        var groups = new JsonObject { ["groups"] = LoadRule()["spec"]!["groups"]!.DeepClone() };
        // JSON is YAML: promtool reads the rule file as written by the operator from the CRD's spec.
        await File.WriteAllTextAsync(Path.Combine(_work, "drywet-drift-rules.yaml"), groups.ToJsonString(), Ct);
        File.Copy(UnitTestPath, Path.Combine(_work, "drywet-drift-rules.test.yaml"));

        var check = await ProcessRunner.RunAsync("promtool", ["check", "rules", "drywet-drift-rules.yaml"], _work);
        check.ExitCode.ShouldBe(0, check.All);
        check.All.ShouldContain("SUCCESS: 5 rules found");

        var test = await ProcessRunner.RunAsync("promtool", ["test", "rules", "drywet-drift-rules.test.yaml"], _work, timeout: TimeSpan.FromMinutes(2));
        test.ExitCode.ShouldBe(0, test.All);
        test.All.ShouldContain("SUCCESS");
    }

    [Fact]
    public async Task Promtool_unit_tests_fail_when_the_alert_ignores_how_much_history_it_has()
    {
        // The unit tests are not vacuous: without the 12-hour history guard, the "only 6 h of history" case alerts.
        var groups = LoadRule()["spec"]!["groups"]!.DeepClone().AsArray();
        var alert = groups.SelectMany(g => g!["rules"]!.AsArray()).Single(r => r!["alert"]?.GetValue<string>() == "DryWetClassShareDrift")!;
        alert["expr"] = Regex.Replace(alert["expr"]!.GetValue<string>(), @"and count_over_time\([^\n]+\n", "");
        await File.WriteAllTextAsync(Path.Combine(_work, "drywet-drift-rules.yaml"), new JsonObject { ["groups"] = groups }.ToJsonString(), Ct);
        // Of the shipped unit tests, the one this mutation must break (the jump with only 6 h of history): promtool then
        // evaluates its 7 hours, not the 2½ days of all four (the full file passes in the test above).
        var unitTests = YamlToJson.LoadAll(File.ReadAllText(UnitTestPath)).Single()!.AsObject();
        var sixHours = unitTests["tests"]!.AsArray().Single(t => t!["alert_rule_test"]!.AsArray().Any(a => a!["eval_time"]!.GetValue<string>() == "420m"))!;
        unitTests["tests"] = new JsonArray(sixHours.DeepClone());
        await File.WriteAllTextAsync(Path.Combine(_work, "drywet-drift-rules.test.yaml"), unitTests.ToJsonString(), Ct);

        var test = await ProcessRunner.RunAsync("promtool", ["test", "rules", "drywet-drift-rules.test.yaml"], _work, timeout: TimeSpan.FromMinutes(2));

        test.ExitCode.ShouldBe(1, test.All);
        test.All.ShouldContain("alertname: DryWetClassShareDrift, time: 7h");
    }

    public void Dispose() => Storage.TestFolders.DeleteQuietly(_work);

    [GeneratedRegex(@"\bdrywet_[a-z_]+")]
    private static partial Regex Metric();
}

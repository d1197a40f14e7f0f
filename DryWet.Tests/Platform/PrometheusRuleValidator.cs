using System.Text.Json.Nodes;

namespace DryWet.Tests.Platform;

/// <summary>
/// The shape of a monitoring.coreos.com/v1 PrometheusRule (the operator's CRD schema): known fields only, every rule
/// a record or an alert with an expression. What the expressions mean is promtool's to check.
/// </summary>
internal static class PrometheusRuleValidator
{
    private static readonly HashSet<string> TopLevel = ["apiVersion", "kind", "metadata", "spec"];
    private static readonly HashSet<string> GroupFields = ["name", "interval", "rules", "limit", "partial_response_strategy", "query_offset", "labels"];
    private static readonly HashSet<string> RuleFields = ["record", "alert", "expr", "for", "keep_firing_for", "labels", "annotations"];

    public static List<string> Validate(JsonNode rule)
    {
        var errors = new List<string>();
        errors.AddRange(Unknown(rule.AsObject(), TopLevel, ""));
        if (rule["spec"] is not JsonObject spec || spec["groups"] is not JsonArray groups || groups.Count == 0)
        {
            errors.Add("spec.groups: missing or empty");
            return errors;
        }

        errors.AddRange(Unknown(spec, ["groups"], "spec."));
        foreach (var (group, g) in groups.Select((n, i) => (n!.AsObject(), i)))
        {
            var path = $"spec.groups[{g}]";
            errors.AddRange(Unknown(group, GroupFields, path + "."));
            if (group["name"] is null)
            {
                errors.Add($"{path}.name: missing");
            }

            foreach (var (r, i) in (group["rules"]?.AsArray() ?? []).Select((n, i) => (n!.AsObject(), i)))
            {
                var rulePath = $"{path}.rules[{i}]";
                errors.AddRange(Unknown(r, RuleFields, rulePath + "."));
                if ((r["record"] is null) == (r["alert"] is null))
                {
                    errors.Add($"{rulePath}: exactly one of record and alert");
                }

                if (string.IsNullOrWhiteSpace(r["expr"]?.GetValue<string>()))
                {
                    errors.Add($"{rulePath}.expr: missing");
                }
            }
        }

        return errors;
    }

    private static IEnumerable<string> Unknown(JsonObject node, HashSet<string> known, string path) =>
        node.Select(p => p.Key).Where(k => !known.Contains(k)).Select(k => $"{path}{k}: unknown field");
}

using DryWet.Tests.Storage;
using YamlDotNet.RepresentationModel;

namespace DryWet.Tests.Platform;

/// <summary>
/// platform/lib/config.sh's fallback reader (used when mikefarah yq is absent) returns what a real YAML parser reads,
/// for every key of config.yaml and for a file with the awkward cases (comments, quotes, '#' inside values).
/// </summary>
public class ConfigReaderTests
{
    private static readonly string ConfigPath = RepositoryPaths.Combine("platform", "config.yaml");

    private static IEnumerable<(string Path, YamlNode Node)> Leaves(YamlNode node, string prefix = "")
    {
        if (node is YamlMappingNode map)
        {
            foreach (var (key, value) in map.Children)
            {
                var path = prefix.Length == 0 ? ((YamlScalarNode)key).Value! : $"{prefix}.{((YamlScalarNode)key).Value}";
                if (value is YamlMappingNode)
                {
                    foreach (var leaf in Leaves(value, path))
                    {
                        yield return leaf;
                    }
                }
                else
                {
                    yield return (path, value);
                }
            }
        }
    }

    private static async Task<Dictionary<string, string>> ReadWithBashAsync(string configPath, IEnumerable<(string Path, bool IsList)> keys)
    {
        var script = """
            set -euo pipefail
            source platform/lib/config.sh
            while [ $# -gt 0 ]; do
              if [ "$2" = list ]; then printf '%s=%s\n' "$1" "$(config_list "$1" | paste -sd '|' -)"; else printf '%s=%s\n' "$1" "$(config_get "$1")"; fi
              shift 2
            done
            """;
        string[] args = ["-c", script, "bash", .. keys.SelectMany(k => new[] { k.Path, k.IsList ? "list" : "scalar" })];
        var result = await ProcessRunner.RunAsync("bash", args, environment: new Dictionary<string, string?>
        {
            ["DRYWET_CONFIG"] = configPath,
            ["DRYWET_CONFIG_NO_YQ"] = "1",
        });
        result.ExitCode.ShouldBe(0, result.All);
        return result.StdOut.Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(l => l.Split('=', 2)).ToDictionary(p => p[0], p => p[1]);
    }

    private static string Expected(YamlNode node) => node switch
    {
        YamlSequenceNode seq => string.Join('|', seq.Children.Select(c => ((YamlScalarNode)c).Value)),
        YamlScalarNode scalar => scalar.Value ?? "",
        _ => throw new InvalidOperationException(),
    };

    private static async Task AssertFallbackMatchesYamlAsync(string configPath)
    {
        var stream = new YamlStream();
        stream.Load(new StringReader(await File.ReadAllTextAsync(configPath, TestContext.Current.CancellationToken)));
        var leaves = Leaves(stream.Documents[0].RootNode).ToList();
        leaves.Count.ShouldBeGreaterThan(5);
        var actual = await ReadWithBashAsync(configPath, leaves.Select(l => (l.Path, l.Node is YamlSequenceNode)));
        foreach (var (path, node) in leaves)
        {
            actual.ShouldContainKey(path);
            actual[path].ShouldBe(Expected(node), $"key {path}");
        }
    }

    [Fact]
    public Task Fallback_reader_agrees_with_a_yaml_parser_on_every_key_of_config_yaml() => AssertFallbackMatchesYamlAsync(ConfigPath);

    [Fact]
    public async Task Fallback_reader_handles_comments_quotes_and_hashes_inside_values()
    {
        var folder = TestFolders.NewTempDirectory("drywet-config");
        try
        {
            var file = Path.Combine(folder, "config.yaml");
            await File.WriteAllTextAsync(file, """
                # top comment
                a:
                  b: "x # not a comment"   # a comment
                  c: 'single quoted'
                  d: plain-value
                  nested:
                    deep: 42
                  list: ["one", two , 'three']
                  empty: []
                other:
                  b: second
                url: http://localhost/grafana/#anchor
                """, TestContext.Current.CancellationToken);
            await AssertFallbackMatchesYamlAsync(file);
        }
        finally
        {
            TestFolders.DeleteQuietly(folder);
        }
    }

    [Fact]
    public async Task A_missing_key_fails_with_its_name_and_a_default_is_used_when_given()
    {
        var result = await ProcessRunner.RunAsync("bash", ["-c", "source platform/lib/config.sh; config_get versions.nope fallback; config_get versions.nope"],
            environment: new Dictionary<string, string?> { ["DRYWET_CONFIG_NO_YQ"] = "1" });
        result.ExitCode.ShouldBe(1, result.StdErr);
        result.StdOut.Trim().ShouldBe("fallback");
        result.StdErr.ShouldContain("'versions.nope' is missing");
    }

    [Fact]
    public async Task Config_pins_kfp_2_14_and_every_version_and_image_tag()
    {
        var stream = new YamlStream();
        stream.Load(new StringReader(await File.ReadAllTextAsync(ConfigPath, TestContext.Current.CancellationToken)));
        var leaves = Leaves(stream.Documents[0].RootNode).ToDictionary(l => l.Path, l => Expected(l.Node));
        // 2.14.x is the last line with MinIO (2.15+ moved to SeaweedFS); the docs name the pinned release.
        leaves["versions.kubeflow_pipelines"].ShouldBe("2.14.3");
        File.ReadAllText(RepositoryPaths.Combine("docs", "platform.md")).ShouldContain("KFP 2.14.3");
        leaves["versions.istio"].ShouldMatch(@"^\d+\.\d+\.\d+$");
        leaves["versions.kube_prometheus_stack"].ShouldMatch(@"^\d+\.\d+\.\d+$");
        foreach (var key in new[] { "images.mlflow", "images.mc", "images.serving_base_gpu" })
        {
            leaves[key].ShouldMatch(@":[^/:]+$", $"{key} has a tag");
            leaves[key].ShouldNotEndWith(":latest");
        }

        leaves["minio.buckets"].Split('|').ShouldBe(["ml-data", "ml-models", "mlflow", "ml-feedback"], ignoreOrder: true);
    }
}

using DryWet.Core;
using DryWet.Core.Registry;
using DryWet.Core.Tracking;
using DryWet.Tests.Storage;
using DryWet.Tests.Tracking;
using Microsoft.Extensions.DependencyInjection;
using YamlDotNet.RepresentationModel;

namespace DryWet.Tests.Registry;

/// <summary>
/// The embedded registry writes MLflow's file-store registry layout under mlruns/models (what
/// `mlflow server --backend-store-uri file://&lt;home&gt;/mlruns` reads), and migrates a home's old registry/ folder once.
/// </summary>
public sealed class EmbeddedRegistryLayoutTests : IDisposable
{
    private readonly string _home = TestFolders.NewTempDirectory("registry-layout");

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private string ModelDir => Path.Combine(_home, "mlruns", "models", "dry_wet_model");

    public void Dispose() => TestFolders.DeleteQuietly(_home);

    [Fact]
    public async Task Versions_stages_aliases_tags_and_descriptions_are_in_MLflow_file_store_registry_files()
    {
        using var platform = PlatformHost.Build(_home);
        var registry = platform.Services.GetRequiredService<IModelRegistry>();
        var v1 = await RegistryTestModels.LogAndRegisterAsync(platform, Path.Combine(_home, "work"), 4f, "first: it's \"good\"\nsecond line");
        await RegistryTestModels.LogAndRegisterAsync(platform, Path.Combine(_home, "work"), 4f, "v2");
        await registry.PromoteAsync("dry_wet_model", "1", cancellationToken: Ct);
        await registry.SetAliasAsync("dry_wet_model", "challenger", "2", Ct);
        await registry.SetVersionTagsAsync("dry_wet_model", "2", new Dictionary<string, string> { ["drywet.promotion"] = "rejected" }, Ct);

        var model = Yaml(Path.Combine(ModelDir, "meta.yaml"));
        Scalar(model, "name").ShouldBe("dry_wet_model");
        long.Parse(Scalar(model, "last_updated_timestamp")).ShouldBeGreaterThanOrEqualTo(long.Parse(Scalar(model, "creation_timestamp")));
        var version1 = Yaml(Path.Combine(ModelDir, "version-1", "meta.yaml"));
        Scalar(version1, "version").ShouldBe("1");
        ((YamlScalarNode)version1["version"]).Style.ShouldBe(YamlDotNet.Core.ScalarStyle.Plain, "an integer, as MLflow's FileStore writes it");
        Scalar(version1, "current_stage").ShouldBe("Production");
        Scalar(version1, "status").ShouldBe("READY");
        Scalar(version1, "description").ShouldBe("first: it's \"good\"\nsecond line");
        Scalar(version1, "source").ShouldBe(v1.Source);
        Scalar(version1, "run_id").ShouldBe(v1.RunId);
        // MLflow's file-store registry keeps the LoggedModel's id (model_id) next to a source inside its artifacts.
        Scalar(version1, "model_id").ShouldMatch("^m-[0-9a-f]{32}$");
        v1.Source.ShouldEndWith($"/models/{Scalar(version1, "model_id")}/artifacts");
        Scalar(version1, "storage_location").ShouldBe(new Uri(Path.Combine(ModelDir, "version-1", "model") + "/").AbsoluteUri.TrimEnd('/'));
        File.Exists(Path.Combine(ModelDir, "version-1", "model", "MLmodel")).ShouldBeTrue();
        File.ReadAllText(Path.Combine(ModelDir, "aliases", "production")).ShouldBe("1");
        File.ReadAllText(Path.Combine(ModelDir, "aliases", "challenger")).ShouldBe("2");
        File.ReadAllText(Path.Combine(ModelDir, "version-2", "tags", "drywet.promotion")).ShouldBe("rejected");
        Directory.Exists(Path.Combine(_home, "registry")).ShouldBeFalse();
        // The registry's folder is not an experiment to the tracker: a new run still lands in experiment 1.
        await using var run = await platform.Services.GetRequiredService<IExperimentTracker>().StartRunAsync("dry-wet-classification", cancellationToken: Ct);
        run.ExperimentId.ShouldBe("1");
        (await registry.ListVersionsAsync("dry_wet_model", Ct)).Single(v => v.Version == "1").Description.ShouldBe("first: it's \"good\"\nsecond line");
    }

    [Fact]
    public async Task An_old_registry_folder_is_migrated_once_keeping_versions_stages_aliases_tags_and_packages()
    {
        WriteLegacyVersion("1", "Archived", "old one", "");
        WriteLegacyVersion("2", "Production", "the champion", "{\"key\": \"drywet.promotion\", \"value\": \"first\"}");
        File.WriteAllText(Path.Combine(Directory.CreateDirectory(Path.Combine(_home, "registry", "dry_wet_model", "aliases")).FullName, "production"), "2");

        using var platform = PlatformHost.Build(_home);
        var registry = platform.Services.GetRequiredService<IModelRegistry>();
        var versions = await registry.ListVersionsAsync("dry_wet_model", Ct);

        versions.Select(v => (v.Version, v.CurrentStage, v.Description)).ShouldBe([("2", "Production", "the champion"), ("1", "Archived", "old one")]);
        versions[0].Aliases.ShouldBe(["production"]);
        versions[0].Tags.ShouldBe(new Dictionary<string, string> { ["drywet.promotion"] = "first" });
        var resolved = await registry.ResolveAsync("dry_wet_model", cancellationToken: Ct);
        resolved!.Version.ShouldBe("2");
        var target = Path.Combine(_home, "download");
        await registry.DownloadAsync(resolved, target, Ct);
        File.ReadAllText(Path.Combine(target, "model.onnx")).ShouldBe("weights-2");
        Directory.Exists(Path.Combine(_home, "registry")).ShouldBeFalse();
        Directory.GetDirectories(_home, "registry.migrated-*").ShouldHaveSingleItem();
        Scalar(Yaml(Path.Combine(ModelDir, "version-2", "meta.yaml")), "current_stage").ShouldBe("Production");
        Scalar(Yaml(Path.Combine(ModelDir, "meta.yaml")), "name").ShouldBe("dry_wet_model");
        // A new registration continues the numbering.
        (await RegistryTestModels.LogAndRegisterAsync(platform, Path.Combine(_home, "work"), 4f)).Version.ShouldBe("3");
    }

    [Fact]
    public async Task A_model_in_both_the_old_and_the_new_layout_is_not_merged_and_the_error_names_both_folders()
    {
        WriteLegacyVersion("1", "Production", "old", "");
        Directory.CreateDirectory(ModelDir);
        File.WriteAllText(Path.Combine(ModelDir, "meta.yaml"), "name: dry_wet_model\n");

        using var platform = PlatformHost.Build(_home);
        var error = await Should.ThrowAsync<DryWetException>(() =>
            platform.Services.GetRequiredService<IModelRegistry>().ListVersionsAsync("dry_wet_model", Ct));

        error.Message.ShouldContain(Path.Combine(_home, "registry", "dry_wet_model"));
        error.Message.ShouldContain(ModelDir);
        File.Exists(Path.Combine(_home, "registry", "dry_wet_model", "versions", "1", "model", "model.onnx")).ShouldBeTrue("nothing was moved");
    }

    private void WriteLegacyVersion(string version, string stage, string description, string tagJson)
    {
        var dir = Path.Combine(_home, "registry", "dry_wet_model", "versions", version);
        ModelFixtures.WritePackage(Path.Combine(dir, "model"), $"weights-{version}");
        File.WriteAllText(Path.Combine(dir, "version.json"),
            $"{{\"name\": \"dry_wet_model\", \"version\": \"{version}\", \"creation_timestamp\": 170000000000{version}, \"last_updated_timestamp\": 170000000000{version}, " +
            $"\"current_stage\": \"{stage}\", \"description\": \"{description}\", \"source\": \"file:///old/run/artifacts/model\", \"run_id\": \"r{version}\", " +
            $"\"status\": \"READY\", \"tags\": [{tagJson}]}}");
    }

    private static YamlMappingNode Yaml(string path)
    {
        var stream = new YamlStream();
        using var reader = new StreamReader(path);
        stream.Load(reader);
        return (YamlMappingNode)stream.Documents[0].RootNode;
    }

    private static string Scalar(YamlMappingNode node, string key) => ((YamlScalarNode)node[key]).Value!;
}

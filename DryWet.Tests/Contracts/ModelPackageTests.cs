using DryWet.Core;
using DryWet.Core.Configuration;
using DryWet.Core.Packaging;
using DryWet.Tests.Storage;

namespace DryWet.Tests.Contracts;

public sealed class ModelPackageTests : IDisposable
{
    private readonly string _root = TestFolders.NewTempDirectory("drywet-pkg");

    public void Dispose() => TestFolders.DeleteQuietly(_root);

    private string FakeOnnx()
    {
        var path = Path.Combine(_root, "src.onnx");
        File.WriteAllBytes(path, [1, 2, 3, 4]);
        return path;
    }

    private ModelPackageContents Contents(string onnx) => new(
        onnx,
        new DryWetConfig { Training = { ImgSize = 64 } },
        ["dry", "wet"],
        new Dictionary<string, double> { ["best_val_acc"] = 0.95 },
        new Dictionary<string, string> { ["classification_report.txt"] = "report" },
        RunId: "abc123");

    [Fact]
    public void Write_then_Load_round_trips_the_package()
    {
        var dir = Path.Combine(_root, "pkg");
        var package = ModelPackage.Write(dir, Contents(FakeOnnx()));

        package.OnnxPath.ShouldBe(Path.Combine(dir, "model.onnx"));
        package.Config.Training.ImgSize.ShouldBe(64);
        package.HasConfig.ShouldBeTrue();
        package.Labels.ShouldBe(["dry", "wet"]);
        package.RunId.ShouldBe("abc123");
        File.ReadAllText(Path.Combine(dir, "MLmodel")).ShouldContain("loader_module: mlflow.onnx");
        File.ReadAllText(Path.Combine(dir, "classification_report.txt")).ShouldBe("report");
        File.ReadAllText(Path.Combine(dir, "metrics.json")).ShouldContain("0.95");
        Directory.GetDirectories(_root).ShouldBe([dir], "no temp folder is left behind");
    }

    [Fact]
    public void Write_failure_leaves_nothing_behind()
    {
        var dir = Path.Combine(_root, "pkg");
        Should.Throw<FileNotFoundException>(() => ModelPackage.Write(dir, Contents(Path.Combine(_root, "missing.onnx"))));
        Directory.GetDirectories(_root).ShouldBeEmpty();
    }

    [Fact]
    public void Write_replaces_an_existing_package()
    {
        var dir = Path.Combine(_root, "pkg");
        ModelPackage.Write(dir, Contents(FakeOnnx()));
        ModelPackage.Write(dir, Contents(FakeOnnx()) with { RunId = "second" }).RunId.ShouldBe("second");
        Directory.GetDirectories(_root).ShouldBe([dir]);
    }

    [Fact]
    public void Write_refuses_a_folder_holding_other_files_names_it_and_deletes_nothing()
    {
        var dir = Directory.CreateDirectory(Path.Combine(_root, "photos")).FullName;
        File.WriteAllText(Path.Combine(dir, "holiday.jpg"), "not ours");
        Directory.CreateDirectory(Path.Combine(dir, "2026"));

        var error = Should.Throw<DryWetException>(() => ModelPackage.Write(dir, Contents(FakeOnnx())));

        error.Message.ShouldContain($"'{dir}' is not empty and is not a model package");
        error.Message.ShouldContain("--force");
        File.ReadAllText(Path.Combine(dir, "holiday.jpg")).ShouldBe("not ours");
        Directory.Exists(Path.Combine(dir, "2026")).ShouldBeTrue();
        Directory.GetDirectories(_root).ShouldBe([dir], "no temp folder is left behind");
    }

    [Fact]
    public void Write_fills_an_empty_folder_and_with_force_replaces_any_folder()
    {
        var empty = Directory.CreateDirectory(Path.Combine(_root, "empty")).FullName;
        var other = Directory.CreateDirectory(Path.Combine(_root, "other")).FullName;
        File.WriteAllText(Path.Combine(other, "notes.txt"), "replace me");

        ModelPackage.Write(empty, Contents(FakeOnnx())).RunId.ShouldBe("abc123");
        ModelPackage.Write(other, Contents(FakeOnnx()), force: true).RunId.ShouldBe("abc123");

        File.Exists(Path.Combine(other, "notes.txt")).ShouldBeFalse();
        Directory.GetDirectories(_root).Order().ShouldBe([empty, other]);
    }

    [Fact]
    public void Write_refuses_a_file_even_with_force()
    {
        var file = Path.Combine(_root, "model");
        File.WriteAllText(file, "a file");

        Should.Throw<DryWetException>(() => ModelPackage.Write(file, Contents(FakeOnnx()), force: true)).Message
            .ShouldContain($"'{file}' is a file, not a folder");
        File.ReadAllText(file).ShouldBe("a file");
    }

    [Fact]
    public void Publish_copies_a_staged_package_over_the_previous_one_and_leaves_the_staged_one()
    {
        var staged = Path.Combine(_root, "staged");
        var published = Path.Combine(_root, "published");
        ModelPackage.Write(staged, Contents(FakeOnnx()) with { RunId = "new" });
        ModelPackage.Write(published, Contents(FakeOnnx()) with { RunId = "old" });

        ModelPackage.Publish(staged, published).RunId.ShouldBe("new");

        ModelPackage.Load(staged).RunId.ShouldBe("new");
        Directory.GetDirectories(_root).Order().ShouldBe([published, staged]);
    }

    [Fact]
    public void Load_rejects_a_data_path_into_a_sibling_folder_that_shares_the_package_name_as_a_prefix()
    {
        var dir = Directory.CreateDirectory(Path.Combine(_root, "pkgA")).FullName;
        var sibling = Directory.CreateDirectory(Path.Combine(_root, "pkgA-other")).FullName;
        File.WriteAllBytes(Path.Combine(sibling, "model.onnx"), [0]);
        File.WriteAllText(Path.Combine(dir, "MLmodel"), "flavors:\n  onnx:\n    data: ../pkgA-other/model.onnx\n");

        Should.Throw<DryWetException>(() => ModelPackage.Load(dir)).Message.ShouldContain("points outside the package");
    }

    [Fact]
    public void Load_of_a_foreign_package_without_config_uses_the_original_fallback()
    {
        var dir = Directory.CreateDirectory(Path.Combine(_root, "foreign")).FullName;
        File.WriteAllText(Path.Combine(dir, "MLmodel"), "flavors:\n  onnx:\n    data: classifier.onnx\n");
        File.WriteAllBytes(Path.Combine(dir, "classifier.onnx"), [0]);

        var package = ModelPackage.Load(dir);

        package.HasConfig.ShouldBeFalse();
        package.Config.Training.ImgSize.ShouldBe(224);
        package.Config.Normalization.Mean.ShouldBe([0.485f, 0.456f, 0.406f]);
        package.Labels.ShouldBe(["dry", "wet"]);
        package.OnnxPath.ShouldEndWith("classifier.onnx");
    }

    [Theory]
    [InlineData(null, "no MLmodel file")]
    [InlineData("flavors:\n  python_function:\n    data: x\n", "no onnx flavor")]
    [InlineData("flavors:\n  onnx:\n    data: missing.onnx\n", "that file is missing")]
    [InlineData("flavors:\n  onnx:\n    data: ../escape.onnx\n", "points outside the package")]
    [InlineData("flavors: [unclosed\n", "not valid YAML")]
    public void Load_rejects_broken_packages_with_a_clear_message(string? mlmodel, string expected)
    {
        var dir = Directory.CreateDirectory(Path.Combine(_root, "broken")).FullName;
        if (mlmodel is not null)
        {
            File.WriteAllText(Path.Combine(dir, "MLmodel"), mlmodel);
        }

        Should.Throw<DryWetException>(() => ModelPackage.Load(dir)).Message.ShouldContain(expected);
    }

    [Fact]
    public void Load_rejects_bad_labels()
    {
        var dir = Path.Combine(_root, "pkg");
        ModelPackage.Write(dir, Contents(FakeOnnx()));
        File.WriteAllText(Path.Combine(dir, "labels.json"), "[\"dry\", \"dry\"]");
        Should.Throw<DryWetException>(() => ModelPackage.Load(dir)).Message.ShouldContain("distinct");
    }
}

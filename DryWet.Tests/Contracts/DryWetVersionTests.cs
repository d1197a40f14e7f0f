using System.Xml.Linq;
using DryWet.Core.Platform;
using DryWet.Tests.Pipelines;
using DryWet.Tests.Platform;

namespace DryWet.Tests.Contracts;

/// <summary>
/// One version source (Directory.Build.props &lt;Version&gt;) for assemblies, image tags and the OIP server version, and
/// one spelling of the image repositories shared with the platform scripts (issue 21 item 4).
/// </summary>
public sealed class DryWetVersionTests
{
    private static string PropsVersion() =>
        XDocument.Load(RepositoryPaths.Combine("Directory.Build.props")).Descendants("Version").Single().Value;

    [Fact]
    public void The_version_and_image_tag_come_from_Directory_Build_props()
    {
        var version = PropsVersion();
        version.ShouldMatch(@"^\d+\.\d+\.\d+$");
        DryWetVersion.Current.ShouldBe(version);
        DryWetVersion.ImageTag.ShouldBe($"v{version}");
        PlatformImages.Serving.ShouldBe($"dry_wet_serving:v{version}");
        PlatformImages.Training.ShouldBe($"dry_wet_train:v{version}");
        PlatformImages.Web.ShouldBe($"dry_wet_ui:v{version}");
    }

    [Fact]
    public async Task The_platform_scripts_name_the_same_repositories()
    {
        var config = YamlToJson.LoadAll(await File.ReadAllTextAsync(RepositoryPaths.Combine("platform", "config.yaml"), TestContext.Current.CancellationToken))[0]!;
        config["images"]!["serving_repository"]!.GetValue<string>().ShouldBe(PlatformImages.ServingRepository);
        config["images"]!["training_repository"]!.GetValue<string>().ShouldBe(PlatformImages.TrainingRepository);
    }
}

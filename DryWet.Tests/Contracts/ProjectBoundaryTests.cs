using System.Xml.Linq;
using DryWet.Tests.Storage;
using Shouldly;

namespace DryWet.Tests.Contracts;

/// <summary>
/// Who may reference whom (issue 21 item 4): ServiceDefaults is cross-cutting only and references no DryWet project;
/// Core, the contract every process shares, references no DryWet project and not the ASP.NET Core framework.
/// </summary>
public sealed class ProjectBoundaryTests
{
    [Theory]
    [InlineData("DryWet.ServiceDefaults")]
    [InlineData("DryWet.Core")]
    public void References_no_DryWet_project(string project) =>
        Items(project, "ProjectReference").ShouldBeEmpty($"{project} must not reference another DryWet project.");

    [Fact]
    public void Core_does_not_reference_the_AspNetCore_framework() =>
        Items("DryWet.Core", "FrameworkReference").ShouldNotContain("Microsoft.AspNetCore.App");

    private static List<string> Items(string project, string itemType)
    {
        var path = Path.Combine(TestFolders.RepositoryRoot, project, $"{project}.csproj");
        File.Exists(path).ShouldBeTrue(path);
        return XDocument.Load(path).Descendants(itemType).Select(e => (string?)e.Attribute("Include") ?? "").ToList();
    }
}

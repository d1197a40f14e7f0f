using Aspire.Hosting.ApplicationModel;
using DryWet.AppHost.Trainer;
using DryWet.Tests.Publishing;
using k8s.Models;

namespace DryWet.Tests.AppHost;

/// <summary>
/// The AppHost's <c>DryWet:Weights</c> (checked with its other settings) reaches every trainer it starts as the
/// trainer's own variables (<c>DryWet__Weights__BaseUrl</c>, <c>DryWet__Weights__Files__&lt;architecture&gt;</c>), which
/// the trainer binds as <c>DryWet:Weights</c> (WeightsOptions): on a laptop the trainer and the watcher, in the published
/// manifests the training Job and the watcher Deployment. Left unset, nothing is passed (torchvision's host and names).
/// </summary>
public sealed class WeightsSettingsPassThroughTests
{
    private const string Mirror = "http://weights.internal/torchvision/";

    private static readonly string[] WeightsArgs =
    [
        $"--DryWet:Weights:BaseUrl={Mirror}",
        "--DryWet:Weights:Files:efficientnet_b0=b0-mirror.pth",
        "--DryWet:Weights:Files:efficientnet_b3=b3-mirror.pth",
    ];

    private static readonly Dictionary<string, string> Expected = new()
    {
        ["DryWet__Weights__BaseUrl"] = Mirror,
        ["DryWet__Weights__Files__efficientnet_b0"] = "b0-mirror.pth",
        ["DryWet__Weights__Files__efficientnet_b3"] = "b3-mirror.pth",
    };

    [Theory]
    [InlineData("embedded", null)]
    [InlineData("containers", "--DryWet:Trainer:Image=dry_wet_train:dev")] // the trainer as a container
    public async Task Every_weights_setting_reaches_the_trainer_and_the_watcher(string mode, string? extraArg)
    {
        await using var builder = await AppHostModel.CreateAsync(mode, extraArg is null ? WeightsArgs : [.. WeightsArgs, extraArg]);

        foreach (var name in new[] { "trainer", "trainer-watcher" })
        {
            var environment = await builder.Resource<IResourceWithEnvironment>(name).PublishedEnvironmentAsync();
            Weights(environment).ShouldBe(Expected, ignoreOrder: true, name);
        }
    }

    [Fact]
    public async Task Unset_weights_settings_pass_nothing()
    {
        await using var builder = await AppHostModel.CreateAsync("embedded");

        foreach (var name in new[] { "trainer", "trainer-watcher" })
        {
            Weights(await builder.Resource<IResourceWithEnvironment>(name).PublishedEnvironmentAsync()).ShouldBeEmpty(name);
        }
    }

    [Fact]
    public void A_blank_file_name_is_not_passed()
    {
        var settings = new WeightsSettings { BaseUrl = " ", Files = { ["efficientnet_b0"] = "", ["efficientnet_b1"] = "b1.pth" } };

        settings.EnvironmentVariables().ShouldBe([("DryWet__Weights__Files__efficientnet_b1", "b1.pth")]);
    }

    [Fact]
    public async Task A_file_key_that_cannot_become_a_variable_name_stops_the_AppHost_naming_it()
    {
        var error = await Should.ThrowAsync<Exception>(() => AppHostModel.CreateAsync("embedded", "--DryWet:Weights:Files:efficientnet b0=b0.pth"));

        Messages(error).ShouldContain("DryWet:Weights:Files:efficientnet b0 is not an architecture name");
    }

    [Fact]
    public async Task The_published_training_job_and_watcher_get_the_same_variables()
    {
        using var published = await KubernetesPublish.RunAsync(WeightsArgs);
        var output = published.Directory;

        // Plain values: each workload's ConfigMap, which its pod reads whole (envFrom).
        foreach (var workload in new[] { "dry-wet-model-training", "dry-wet-model-watcher" })
        {
            var config = KubernetesObjects.Load<V1ConfigMap>(output, workload, "config.yaml");
            Weights(config.Data).ShouldBe(Expected, ignoreOrder: true, workload);
        }

        using var unset = await KubernetesPublish.RunAsync();
        foreach (var workload in new[] { "dry-wet-model-training", "dry-wet-model-watcher" })
        {
            Weights(KubernetesObjects.Load<V1ConfigMap>(unset.Directory, workload, "config.yaml").Data).ShouldBeEmpty(workload);
        }
    }

    private static string Messages(Exception? e)
    {
        var messages = new List<string>();
        for (; e is not null; e = e.InnerException)
        {
            messages.Add(e.Message);
        }

        return string.Join(" | ", messages);
    }

    private static Dictionary<string, string> Weights(IDictionary<string, string> environment) =>
        environment.Where(e => e.Key.StartsWith("DryWet__Weights__", StringComparison.Ordinal)).ToDictionary();
}

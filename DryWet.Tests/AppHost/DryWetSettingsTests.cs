using DryWet.AppHost.Minio;
using DryWet.AppHost.Mlflow;
using DryWet.AppHost.Platform;
using DryWet.AppHost.Serving;
using DryWet.AppHost.Trainer;
using Microsoft.Extensions.Configuration;

namespace DryWet.Tests.AppHost;

/// <summary>The AppHost's own DryWet:* settings: a misspelt key stops it with the key and the nearest valid one.</summary>
public sealed class DryWetSettingsTests
{
    private static IConfiguration Settings(params (string Key, string Value)[] values) =>
        new ConfigurationBuilder().AddInMemoryCollection(values.Select(v => KeyValuePair.Create(v.Key, (string?)v.Value))).Build();

    [Fact]
    public void Known_settings_pass_and_misspelt_ones_are_named_with_the_nearest_key()
    {
        DryWetSettings.Validate(Settings(("DryWet:Mode", "embedded"), ("DryWet:SampleData:Count", "50"), ("DryWet:Trainer:Config", "c.yaml"),
            ("DryWet:Weights:BaseUrl", "http://m/"), ("DryWet:Weights:Files:efficientnet_b0", "b0-12345678.pth"), ("DryWet:Kubernetes:Namespace", "x")));

        var error = Should.Throw<InvalidOperationException>(() => DryWetSettings.Validate(Settings(
            ("DryWet:SampleData:Cuont", "50"), ("DryWet:Trainr:Config", "c.yaml"), ("DryWet:Bogus", "1"))));

        error.Message.ShouldContain("DryWet:SampleData:Cuont: unknown setting (did you mean 'DryWet:SampleData:Count'?)");
        error.Message.ShouldContain("DryWet:Trainr: unknown setting (did you mean 'DryWet:Trainer'?)");
        error.Message.ShouldContain("DryWet:Bogus: unknown setting (valid here: Mode, Home, Trainer, Watcher, SampleData, Weights, Kubernetes)");
    }

    [Fact]
    public async Task The_real_AppHost_refuses_to_build_with_a_misspelt_setting()
    {
        var error = await Should.ThrowAsync<Exception>(() => AppHostModel.CreateAsync("embedded", "--DryWet:SampleData:Sise=64"));
        var messages = string.Join(" | ", Flatten(error).Select(e => e.Message));
        messages.ShouldContain("DryWet:SampleData:Sise: unknown setting (did you mean 'DryWet:SampleData:Size'?)");
    }

    private static IEnumerable<Exception> Flatten(Exception? e)
    {
        for (; e is not null; e = e.InnerException)
        {
            yield return e;
        }
    }
}

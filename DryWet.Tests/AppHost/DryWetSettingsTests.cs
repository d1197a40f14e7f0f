using DryWet.AppHost.Minio;
using DryWet.AppHost.Mlflow;
using DryWet.AppHost.Platform;
using DryWet.AppHost.Serving;
using DryWet.AppHost.Trainer;
using DryWet.Core;
using Microsoft.Extensions.Configuration;

namespace DryWet.Tests.AppHost;

/// <summary>
/// The AppHost's own DryWet:* settings, bound like every other options class (OptionsBinding): a misspelt key stops it
/// with the key and the nearest valid one, at any depth; a wrong type or an invalid value is named too, all in one error.
/// </summary>
public sealed class DryWetSettingsTests
{
    private static IConfiguration Settings(params (string Key, string Value)[] values) =>
        new ConfigurationBuilder().AddInMemoryCollection(values.Select(v => KeyValuePair.Create(v.Key, (string?)v.Value))).Build();

    [Fact]
    public void Known_settings_pass_and_misspelt_ones_are_named_with_the_nearest_key()
    {
        var settings = DryWetSettings.FromConfiguration(Settings(("DryWet:Mode", "embedded"), ("DryWet:SampleData:Count", "50"), ("DryWet:Trainer:Config", "c.yaml"),
            ("DryWet:Weights:BaseUrl", "http://m/"), ("DryWet:Weights:Files:efficientnet_b0", "b0-12345678.pth"), ("DryWet:Kubernetes:Namespace", "x")));
        settings.SampleData.Count.ShouldBe(50);
        settings.SampleData.Arguments().ShouldBe(["--count", "50"]);
        settings.Trainer.Config.ShouldBe("c.yaml");
        settings.Weights.Files["efficientnet_b0"].ShouldBe("b0-12345678.pth");
        settings.Kubernetes.Namespace.ShouldBe("x");

        var error = Should.Throw<DryWetException>(() => DryWetSettings.FromConfiguration(Settings(
            ("DryWet:SampleData:Cuont", "50"), ("DryWet:Trainr:Config", "c.yaml"), ("DryWet:Bogus", "1"), ("DryWet:Kubernetes:Namespase", "x"))));

        error.Message.ShouldContain("DryWet:SampleData:Cuont: unknown key (did you mean 'Count'?)");
        error.Message.ShouldContain("DryWet:Trainr: unknown key (did you mean 'Trainer'?)");
        error.Message.ShouldContain("DryWet:Bogus: unknown key (valid keys here: Mode, Home, Trainer, Watcher, SampleData, Weights, Kubernetes)");
        error.Message.ShouldContain("DryWet:Kubernetes:Namespase: unknown key (did you mean 'Namespace'?)");
    }

    [Fact]
    public void Absent_settings_keep_the_defaults_a_user_gets()
    {
        var settings = DryWetSettings.FromConfiguration(Settings());

        settings.Mode.ShouldBe("");
        settings.Trainer.Config.ShouldBe("config/tiny.yaml");
        settings.Trainer.Image.ShouldBeNull();
        settings.Watcher.Interval.ShouldBe("5s");
        settings.Watcher.MinNewLabels.ShouldBeNull();
        settings.SampleData.Arguments().ShouldBeEmpty();
        settings.Weights.BaseUrl.ShouldBeNull();
    }

    [Fact]
    public void Wrong_types_and_invalid_values_are_each_named_in_one_error()
    {
        var types = Should.Throw<DryWetException>(() => DryWetSettings.FromConfiguration(Settings(
            ("DryWet:SampleData:Count", "many"), ("DryWet:Watcher:MinNewLabels", "few"))));
        types.Message.ShouldContain("DryWet:SampleData:Count = 'many' is not a whole number");
        types.Message.ShouldContain("DryWet:Watcher:MinNewLabels = 'few' is not a whole number");

        var values = Should.Throw<DryWetException>(() => DryWetSettings.FromConfiguration(Settings(
            ("DryWet:Mode", "kubernetes"), ("DryWet:SampleData:Size", "0"), ("DryWet:Watcher:MinNewLabels", "-1"), ("DryWet:Weights:BaseUrl", "mirror.internal"))));
        values.Message.ShouldContain("DryWet:Mode is 'kubernetes', which is not a mode. Use 'embedded', 'containers' or 'auto'");
        values.Message.ShouldContain("DryWet:SampleData:Size = 0 is invalid");
        values.Message.ShouldContain("DryWet:Watcher:MinNewLabels = -1 is not a whole number from 0 to");
        values.Message.ShouldContain("DryWet:Weights:BaseUrl = 'mirror.internal' is not an http(s) URL");
    }

    [Fact]
    public async Task The_real_AppHost_refuses_to_build_with_a_misspelt_setting()
    {
        var error = await Should.ThrowAsync<Exception>(() => AppHostModel.CreateAsync("embedded", "--DryWet:SampleData:Sise=64"));
        var messages = string.Join(" | ", Flatten(error).Select(e => e.Message));
        messages.ShouldContain("DryWet:SampleData:Sise: unknown key (did you mean 'Size'?)");
    }

    private static IEnumerable<Exception> Flatten(Exception? e)
    {
        for (; e is not null; e = e.InnerException)
        {
            yield return e;
        }
    }
}

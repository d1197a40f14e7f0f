using DryWet.Core;
using DryWet.Core.Configuration;
using DryWet.TrainingWorker.Overrides;

namespace DryWet.Tests.Pipelines;

/// <summary><c>train --set key=value</c>: keys and kinds from the config's own type, values through the config's own rules.</summary>
public class ConfigOverrideTests
{
    private const string ShippedStyleConfig = """
        # a comment the override must not disturb
        training:
          img_size: 224
          learning_rate: 0.001
        model:
          architecture: efficientnet_b3
          pretrained: imagenet
        """;

    [Fact]
    public void Known_keys_are_the_configs_leaves_in_snake_case_with_their_kinds()
    {
        var keys = ConfigKeys.All.ToDictionary(k => k.Path);
        keys["training.learning_rate"].Kind.ShouldBe(ConfigValueKind.Number);
        keys["training.img_size"].Kind.ShouldBe(ConfigValueKind.Integer);
        keys["model.architecture"].Kind.ShouldBe(ConfigValueKind.Text);
        keys["augmentation.translate"].Kind.ShouldBe(ConfigValueKind.List);
        keys["random_seed"].Kind.ShouldBe(ConfigValueKind.Integer);
        keys["model.pretrained_path"].Nullable.ShouldBeTrue();
        keys["model.architecture"].Nullable.ShouldBeFalse();
        keys.Keys.ShouldNotContain("training"); // sections are not settable leaves
    }

    [Fact]
    public void Overrides_replace_the_files_values_and_add_missing_sections_and_keys()
    {
        var config = ConfigWithOverrides.Parse(ShippedStyleConfig, ConfigOverride.ParseAll([
            "training.learning_rate=3e-4", "training.img_size= 300 ", "early_stopping.patience=2", "model.pretrained=none", "random_seed=7"]));

        config.Training.LearningRate.ShouldBe(3e-4);
        config.Training.ImgSize.ShouldBe(300);
        config.EarlyStopping.Patience.ShouldBe(2);
        config.Model.ResolvePretrained().ShouldBe("none");
        config.Model.Architecture.ShouldBe("efficientnet_b3", "keys not overridden keep the file's value");
        config.RandomSeed.ShouldBe(7);
        config.ToYaml().ShouldContain("learning_rate: 0.0003");
    }

    [Fact]
    public void Text_that_looks_like_yaml_stays_text_and_an_empty_value_clears_a_nullable_key()
    {
        var config = ConfigWithOverrides.Parse("model:\n  pretrained_path: /weights/b3.pth\n", ConfigOverride.ParseAll([
            "mlflow.experiment_name=yes", "model.pretrained_path="]));

        config.Mlflow.ExperimentName.ShouldBe("yes");
        config.Model.PretrainedPath.ShouldBeNull();
    }

    [Fact]
    public void An_overridden_value_goes_through_the_configs_rules_and_the_error_names_key_value_and_flag()
    {
        var error = Should.Throw<DryWetException>(() =>
            ConfigWithOverrides.Parse(ShippedStyleConfig, ConfigOverride.ParseAll(["training.img_size=8"]), "config.yaml"));

        error.Message.ShouldContain("training.img_size = 8: must be between 16 and 2048 pixels");
        error.Message.ShouldContain("config.yaml with --set training.img_size=8");
    }

    [Theory]
    [InlineData("trainig.learning_rate=1", "--set 'trainig.learning_rate': unknown config key (did you mean 'training.learning_rate'?)")]
    [InlineData("training.learning_rate=fast", "--set training.learning_rate='fast' is not a number")]
    [InlineData("training.epochs=2.5", "--set training.epochs='2.5' is not a whole number")]
    [InlineData("training.epochs=", "--set training.epochs has an empty value")]
    [InlineData("training.epochs", "--set 'training.epochs' is not key=value")]
    [InlineData("=3", "--set '=3' is not key=value")]
    [InlineData("normalization.mean=0.5", "--set normalization.mean: this setting is a list; set it in the config file.")]
    [InlineData("training.learning_rate=NaN", "--set training.learning_rate='NaN' is not a number")]
    public void A_bad_override_is_an_error_naming_it(string argument, string message)
    {
        Should.Throw<DryWetException>(() => ConfigOverride.Parse(argument)).Message.ShouldContain(message);
    }

    [Fact]
    public void The_same_key_twice_is_an_error()
    {
        Should.Throw<DryWetException>(() => ConfigOverride.ParseAll(["training.epochs=2", "training.epochs=3"]))
            .Message.ShouldBe("--set training.epochs is given more than once; pass each key once.");
    }

    [Fact]
    public void Without_overrides_the_file_is_parsed_as_is_and_an_empty_file_takes_overrides()
    {
        ConfigWithOverrides.Parse(ShippedStyleConfig, []).Training.ImgSize.ShouldBe(224);
        ConfigWithOverrides.Parse("", ConfigOverride.ParseAll(["training.epochs=3"])).Training.Epochs.ShouldBe(3);
        ConfigWithOverrides.Parse(DryWetConfig.Default.ToYaml(), ConfigOverride.ParseAll(["training.epochs=3"])).Training.Epochs.ShouldBe(3);
    }
}

using DryWet.Core;
using DryWet.Core.Configuration;

namespace DryWet.Tests.Contracts;

public class DryWetConfigTests
{
    [Fact]
    public void Parse_reads_the_original_keys()
    {
        var config = DryWetConfig.Parse("""
            data:
              data_path: /data
              test_size: 0.25
              random_state: 7
            training:
              img_size: 300
              batch_size: 8
              epochs: 3
              learning_rate: 0.0005
              weight_decay: 0.01
              num_workers: 4
            augmentation:
              horizontal_flip_prob: 0.3
              rotation_degrees: 15
              brightness_range: 0.1
              contrast_range: 0.15
              saturation_range: 0.05
              translate: [0.05, 0.1]
              scale: [0.8, 1.2]
            normalization:
              mean: [0.5, 0.5, 0.5]
              std: [0.25, 0.25, 0.25]
            model:
              pretrained_path: weights.pth
            loss:
              focal_loss_gamma: 1.5
            scheduler:
              mode: max
              factor: 0.2
              patience: 2
            early_stopping:
              patience: 4
              min_delta: 0.01
            mlflow:
              experiment_name: roads
            random_seed: 123
            """);

        config.Data.TestSize.ShouldBe(0.25);
        config.Training.ImgSize.ShouldBe(300);
        config.Training.WeightDecay.ShouldBe(0.01);
        config.Augmentation.Translate.ShouldBe([0.05, 0.1]);
        config.Normalization.Std.ShouldBe([0.25f, 0.25f, 0.25f]);
        config.Model.PretrainedPath.ShouldBe("weights.pth");
        config.Model.Architecture.ShouldBe("efficientnet_b3");
        config.Loss.FocalLossGamma.ShouldBe(1.5);
        config.Scheduler.Factor.ShouldBe(0.2);
        config.EarlyStopping.MinDelta.ShouldBe(0.01);
        config.Mlflow.ExperimentName.ShouldBe("roads");
        config.Mlflow.RegisteredModelName.ShouldBe("dry_wet_model");
        config.RandomSeed.ShouldBe(123);
    }

    [Fact]
    public void Parse_lists_every_invalid_key_with_its_value()
    {
        var ex = Should.Throw<DryWetException>(() => DryWetConfig.Parse("""
            data: { test_size: 1.5 }
            training: { img_size: 4, batch_size: 0 }
            scheduler: { mode: sideways }
            normalization: { std: [0.2, 0.0, 0.2] }
            """, "my.yaml"));

        ex.Message.ShouldContain("my.yaml is invalid");
        ex.Message.ShouldContain("data.test_size = 1.5");
        ex.Message.ShouldContain("training.img_size = 4");
        ex.Message.ShouldContain("training.batch_size = 0");
        ex.Message.ShouldContain("scheduler.mode = 'sideways'");
        ex.Message.ShouldContain("normalization.std = [0.2, 0, 0.2]");
    }

    [Fact]
    public void Parse_reports_a_wrongly_typed_value_with_its_position()
    {
        var ex = Should.Throw<DryWetException>(() => DryWetConfig.Parse("training:\n  epochs: many\n"));
        ex.Message.ShouldContain("line 2");
    }

    [Fact]
    public void Yaml_round_trip_keeps_values()
    {
        var config = new DryWetConfig();
        config.Training.ImgSize = 64;
        config.Model.Architecture = "efficientnet_b0";
        var back = DryWetConfig.Parse(config.ToYaml());
        back.Training.ImgSize.ShouldBe(64);
        back.Model.Architecture.ShouldBe("efficientnet_b0");
        back.Normalization.Mean.ShouldBe(config.Normalization.Mean);
    }

    [Fact]
    public void Missing_file_is_a_clear_error()
    {
        Should.Throw<DryWetException>(() => DryWetConfig.Load("/nonexistent/config.yaml"))
            .Message.ShouldContain("/nonexistent/config.yaml");
    }

    [Fact]
    public void A_misspelt_key_is_an_error_naming_its_path_line_and_the_nearest_valid_key()
    {
        var ex = Should.Throw<DryWetException>(() => DryWetConfig.Parse("""
            trainig:
              img_size: 64
            model:
              pretrianed: none
              architecture: efficientnet_tiny
            training:
              epochs: 0
              bogus_setting: 3
            """, "my.yaml"));

        ex.Message.ShouldContain("my.yaml is invalid");
        ex.Message.ShouldContain("trainig: unknown key (did you mean 'training'?) at line 1");
        ex.Message.ShouldContain("model.pretrianed: unknown key (did you mean 'pretrained'?) at line 4");
        ex.Message.ShouldContain("training.bogus_setting: unknown key (valid keys here:");
        ex.Message.ShouldContain("training.epochs = 0"); // value errors are listed with key errors
    }

    [Fact]
    public void Pretrained_defaults_to_imagenet_for_b0_to_b7_and_none_for_tiny_and_rejects_other_values()
    {
        DryWetConfig.Parse("model: { architecture: efficientnet_b3 }").Model.ResolvePretrained().ShouldBe("imagenet");
        DryWetConfig.Parse("model: { architecture: efficientnet_tiny }").Model.ResolvePretrained().ShouldBe("none");
        DryWetConfig.Parse("model: { architecture: efficientnet_b0, pretrained: none }").Model.StartsFromPretrainedWeights().ShouldBeFalse();
        DryWetConfig.Parse("model: { architecture: efficientnet_tiny, pretrained_path: w.pth }").Model.StartsFromPretrainedWeights().ShouldBeTrue();
        var ex = Should.Throw<DryWetException>(() => DryWetConfig.Parse("model: { pretrained: yes_please }\ntraining: { backbone_lr_factor: 2, batchnorm: sometimes, freeze_backbone_epochs: 30 }"));
        ex.Message.ShouldContain("model.pretrained = 'yes_please'");
        ex.Message.ShouldContain("training.backbone_lr_factor = 2");
        ex.Message.ShouldContain("training.batchnorm = 'sometimes'");
        ex.Message.ShouldContain("training.freeze_backbone_epochs = 30");
    }
}

using DryWet.Core.Configuration;

namespace DryWet.Tests.Contracts;

public class ShippedConfigTests
{
    [Fact]
    public void The_trainer_ships_a_valid_production_config_next_to_its_executable()
    {
        // The Kubeflow pipeline's train step runs `train --config /app/config.yaml` in the trainer image.
        var path = Path.Combine(AppContext.BaseDirectory, "config.yaml");
        File.Exists(path).ShouldBeTrue(path);
        var config = DryWetConfig.Load(path);
        config.Model.Architecture.ShouldBe("efficientnet_b3");
        config.Model.PretrainedPath.ShouldBeNull();
        config.Mlflow.RegisteredModelName.ShouldBe("dry_wet_model");
    }
}

using DryWet.Core;
using DryWet.Core.Configuration;
using DryWet.TrainingWorker.Model;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace DryWet.Tests.Model;

[Collection(nameof(TorchSharp))]
public class EfficientNetStructureTests
{
    public EfficientNetStructureTests() => TorchTestSupport.EnsureTorch();

    private static long ParameterCount(nn.Module module) => module.parameters().Sum(p => p.numel());

    [Fact]
    public void B3_has_574_state_dict_entries_and_12_233_232_parameters_with_1000_classes()
    {
        using var net = new EfficientNet(EfficientNetVariant.B3, numClasses: 1000);
        net.state_dict().Count.ShouldBe(574);
        ParameterCount(net).ShouldBe(12_233_232);
    }

    [Fact]
    public void B0_has_360_state_dict_entries_and_5_288_548_parameters_with_1000_classes()
    {
        using var net = new EfficientNet(EfficientNetVariant.B0, numClasses: 1000);
        net.state_dict().Count.ShouldBe(360);
        ParameterCount(net).ShouldBe(5_288_548);
    }

    [Fact]
    public void B3_state_dict_keys_and_shapes_match_torchvision()
    {
        using var net = new EfficientNet(EfficientNetVariant.B3, numClasses: 1000);
        var dict = net.state_dict();
        var expected = new Dictionary<string, long[]>
        {
            ["features.0.0.weight"] = [40, 3, 3, 3],
            ["features.0.1.num_batches_tracked"] = [],
            ["features.1.0.block.0.0.weight"] = [40, 1, 3, 3],          // stage 1: no expand conv, depthwise first
            ["features.1.0.block.1.fc1.weight"] = [10, 40, 1, 1],
            ["features.1.1.block.1.fc2.bias"] = [24],
            ["features.1.1.block.2.1.running_var"] = [24],
            ["features.2.0.block.0.0.weight"] = [144, 24, 1, 1],        // expand
            ["features.2.0.block.2.fc1.bias"] = [6],
            ["features.2.0.block.3.1.running_var"] = [32],
            ["features.3.2.block.1.0.weight"] = [288, 1, 5, 5],
            ["features.6.5.block.2.fc2.weight"] = [1392, 58, 1, 1],
            ["features.7.1.block.3.0.weight"] = [384, 2304, 1, 1],
            ["features.8.0.weight"] = [1536, 384, 1, 1],
            ["classifier.1.weight"] = [1000, 1536],
            ["classifier.1.bias"] = [1000],
        };
        foreach (var (key, shape) in expected)
        {
            dict.ShouldContainKey(key);
            dict[key].shape.ShouldBe(shape, key);
        }

        dict.ShouldNotContainKey("features.7.2.block.0.0.weight");
    }

    [Fact]
    public void B3_stages_have_torchvision_block_counts_and_stochastic_depth_ramp()
    {
        using var net = new EfficientNet(EfficientNetVariant.B3);
        var stages = net.Features.named_children().Skip(1).Take(7).Select(c => (Sequential)c.module).ToList();
        stages.Select(s => s.named_children().Count()).ShouldBe([2, 3, 3, 5, 5, 6, 2]);

        var blocks = stages.SelectMany(s => s.named_children().Select(c => (MBConv)c.module)).ToList();
        blocks.Count.ShouldBe(26);
        blocks[0].StochasticDepthProb.ShouldBe(0.0);
        blocks[^1].StochasticDepthProb.ShouldBe(0.2 * 25 / 26, 1e-12);
        blocks.Count(b => b.UsesResidual).ShouldBe(26 - 7); // every block except each stage's first (which changes width)
    }

    [Theory]
    [InlineData("efficientnet_b1", 7_794_184)]
    [InlineData("efficientnet_b2", 9_109_994)]
    [InlineData("efficientnet_b4", 19_341_616)]
    [InlineData("efficientnet_b5", 30_389_784)]
    [InlineData("efficientnet_b6", 43_040_704)]
    [InlineData("efficientnet_b7", 66_347_960)]
    public void Larger_variants_have_torchvision_parameter_counts_with_1000_classes(string architecture, long parameters)
    {
        using var net = new EfficientNet(EfficientNetVariant.FromName(architecture), numClasses: 1000);
        ParameterCount(net).ShouldBe(parameters);
    }

    [Fact]
    public void B5_to_B7_use_batchnorm_eps_1e_3_and_momentum_0_01()
    {
        using var net = new EfficientNet(EfficientNetVariant.B5);
        var norms = net.modules().OfType<SafeBatchNorm2d>().ToList();
        norms.ShouldNotBeEmpty();
        norms.ShouldAllBe(bn => bn.Eps == 1e-3 && bn.Momentum == 0.01);
    }

    [Theory]
    [InlineData("efficientnet_tiny", 32)]
    [InlineData("efficientnet_b0", 32)]
    [InlineData("EfficientNet_B3", 40)]
    public void Forward_returns_one_logit_per_class_for_each_image(string architecture, int imageSize)
    {
        using var net = EfficientNet.Create(new DryWetConfig.ModelSection { Architecture = architecture, NumClasses = 3, Dropout = 0.25 });
        net.eval();
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        var logits = net.call(randn(2, 3, imageSize, imageSize));
        logits.shape.ShouldBe([2L, 3L]);
        logits.isfinite().all().item<bool>().ShouldBeTrue();
    }

    [Fact]
    public void Head_is_dropout_then_linear_with_the_configured_values()
    {
        using var net = EfficientNet.Create(new DryWetConfig.ModelSection { Architecture = "efficientnet_b0", NumClasses = 2, Dropout = 0.5 });
        var head = net.Classifier.named_children().ToList();
        head.Select(c => c.name).ShouldBe(["0", "1"]);
        ((Dropout)head[0].module).p.ShouldBe(0.5);
        var linear = (Linear)head[1].module;
        (linear.in_features, linear.out_features).ShouldBe((1280L, 2L));
    }

    [Fact]
    public void Tiny_variant_is_small_and_keeps_every_block_type()
    {
        using var net = new EfficientNet(EfficientNetVariant.Tiny);
        ParameterCount(net).ShouldBe(199_464); // 2 classes; B0 has 4,010,110
        var blocks = net.modules().OfType<MBConv>().ToList();
        blocks.ShouldContain(b => b.UsesResidual && b.StochasticDepthProb > 0);
        net.state_dict().Keys.ShouldContain(k => k.EndsWith(".block.2.fc1.weight", StringComparison.Ordinal)); // expand + SE
        net.modules().OfType<torchvision.SqueezeExcitation>().Count().ShouldBe(blocks.Count);
    }

    [Fact]
    public void Weights_are_initialised_as_torchvision_does()
    {
        using var net = new EfficientNet(EfficientNetVariant.Tiny, numClasses: 4);
        using TorchSharp.Scalar one = 1, zero = 0; // explicit and alive for the calls (an implicit Scalar can be finalized mid-call)
        net.modules().OfType<SafeBatchNorm2d>().ShouldAllBe(bn => bn.Weight.eq(one).all().item<bool>() && bn.Bias.eq(zero).all().item<bool>());
        var linear = net.modules().OfType<Linear>().Single();
        linear.weight!.abs().max().item<float>().ShouldBeLessThanOrEqualTo(0.5f); // 1/sqrt(4)
        linear.bias!.eq(zero).all().item<bool>().ShouldBeTrue();
        var stem = net.modules().OfType<Conv2d>().First();
        // kaiming normal, fan_out = 8 * 3 * 3: std = sqrt(2 / 72) = 0.167 (216 samples, loose bounds)
        stem.weight!.std().item<float>().ShouldBeInRange(0.12f, 0.22f);
    }

    [Fact]
    public void Unknown_architecture_is_a_clear_error_listing_the_choices()
    {
        var ex = Should.Throw<DryWetException>(() => EfficientNetVariant.FromName("resnet50"));
        ex.Message.ShouldContain("'resnet50'");
        ex.Message.ShouldContain("efficientnet_b3");
        ex.Message.ShouldContain("efficientnet_tiny");
    }
}

using DryWet.Core.Configuration;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace DryWet.TrainingWorker.Model;

/// <summary>
/// EfficientNet B0–B7 (and DryWet's tiny test variant) built from TorchVision's <c>Conv2dNormActivation</c>,
/// <c>SqueezeExcitation</c> and <c>StochasticDepth</c>, structurally identical to torchvision's
/// <c>torchvision.models.efficientnet_bN</c>: module names are the state-dict keys (<c>features.2.0.block.2.fc1.bias</c>),
/// so torchvision checkpoints load unchanged. Head: <c>classifier = Sequential(Dropout(p), Linear(in, num_classes))</c>.
/// Call <see cref="TorchRuntime.EnsureLoaded"/> before constructing one.
/// </summary>
public sealed class EfficientNet : nn.Module<Tensor, Tensor>
{
#pragma warning disable IDE1006 // field names are state-dict prefixes
    private readonly Sequential features;
    private readonly AdaptiveAvgPool2d avgpool;
    private readonly Sequential classifier;
#pragma warning restore IDE1006

    /// <summary>Builds a freshly initialised network (torchvision's init: kaiming-normal fan-out convs, BN 1/0, Linear ±1/√out).</summary>
    /// <param name="variant">Which member of the family.</param>
    /// <param name="numClasses">Outputs of the final Linear (the original: 2).</param>
    /// <param name="dropout">Classifier dropout; null takes torchvision's value for the variant (the original config: 0.5).</param>
    public EfficientNet(EfficientNetVariant variant, int numClasses = 2, double? dropout = null) : base(nameof(EfficientNet))
    {
        ArgumentNullException.ThrowIfNull(variant);
        ArgumentOutOfRangeException.ThrowIfLessThan(numClasses, 1);
        Variant = variant;
        NumClasses = numClasses;
        Dropout = dropout ?? variant.Dropout;
        if (Dropout is < 0 or >= 1)
        {
            throw new ArgumentOutOfRangeException(nameof(dropout), Dropout, "Dropout must be in [0, 1).");
        }

        nn.Module<Tensor, Tensor> Norm(long channels) =>
            new SafeBatchNorm2d(channels, eps: variant.BatchNormEps, momentum: variant.BatchNormMomentum);

        var stages = EfficientNetVariant.B0Stages
            .Select(s => (s.ExpandRatio, s.Kernel, s.Stride,
                In: variant.ScaleChannels(s.InChannels), Out: variant.ScaleChannels(s.OutChannels), Layers: variant.ScaleDepth(s.Layers)))
            .ToArray();

        var layers = new List<nn.Module<Tensor, Tensor>>
        {
            torchvision.ops.Conv2dNormActivation(3, stages[0].In, kernel_size: 3, stride: 2, norm_layer: Norm, activation_layer: SiLU),
        };

        var totalBlocks = stages.Sum(s => s.Layers);
        var blockIndex = 0;
        foreach (var stage in stages)
        {
            var blocks = new List<nn.Module<Tensor, Tensor>>();
            for (var i = 0; i < stage.Layers; i++)
            {
                // As torchvision: only a stage's first block changes width or resolution.
                var inChannels = i == 0 ? stage.In : stage.Out;
                var stride = i == 0 ? stage.Stride : 1;
                var sdProb = EfficientNetVariant.StochasticDepthProb * blockIndex / totalBlocks;
                blocks.Add(new MBConv(inChannels, stage.Out, stage.ExpandRatio, stage.Kernel, stride, sdProb, Norm));
                blockIndex++;
            }

            layers.Add(nn.Sequential(blocks));
        }

        var lastIn = stages[^1].Out;
        FeatureChannels = 4 * lastIn;
        layers.Add(torchvision.ops.Conv2dNormActivation(lastIn, FeatureChannels, kernel_size: 1, norm_layer: Norm, activation_layer: SiLU));

        features = nn.Sequential(layers);
        avgpool = nn.AdaptiveAvgPool2d(1);
        classifier = nn.Sequential(nn.Dropout(Dropout, inplace: true), nn.Linear(FeatureChannels, numClasses));
        RegisterComponents();
        InitializeWeights();
    }

    /// <summary>Builds the network that <c>model.architecture</c>, <c>model.num_classes</c> and <c>model.dropout</c> describe.</summary>
    public static EfficientNet Create(DryWetConfig.ModelSection model)
    {
        ArgumentNullException.ThrowIfNull(model);
        return new EfficientNet(EfficientNetVariant.FromName(model.Architecture), model.NumClasses, model.Dropout);
    }

    public EfficientNetVariant Variant { get; }

    public int NumClasses { get; }

    public double Dropout { get; }

    /// <summary>Channels entering the classifier (B0: 1280, B3: 1536).</summary>
    public long FeatureChannels { get; }

    /// <summary>stem, seven MBConv stages, head (torchvision's <c>features</c>).</summary>
    internal Sequential Features => features;

    /// <summary>Dropout then Linear (torchvision's <c>classifier</c>).</summary>
    internal Sequential Classifier => classifier;

    /// <summary>Logits [N, num_classes] for images [N, 3, H, W] normalised with the ImageNet mean/std.</summary>
    public override Tensor forward(Tensor input)
    {
        using var scope = NewDisposeScope();
        var x = features.call(input);
        x = avgpool.call(x);
        x = x.flatten(1);
        return classifier.call(x).MoveToOuterDisposeScope();
    }

    private void InitializeWeights()
    {
        using var _ = no_grad();
        foreach (var (_, module) in named_modules())
        {
            switch (module)
            {
                case Conv2d conv:
                    nn.init.kaiming_normal_(conv.weight, mode: nn.init.FanInOut.FanOut);
                    if (conv.bias is not null)
                    {
                        nn.init.zeros_(conv.bias);
                    }

                    break;
                case SafeBatchNorm2d bn:
                    nn.init.ones_(bn.Weight);
                    nn.init.zeros_(bn.Bias);
                    break;
                case Linear linear:
                    var range = 1.0 / Math.Sqrt(linear.out_features);
                    nn.init.uniform_(linear.weight, -range, range);
                    if (linear.bias is not null)
                    {
                        nn.init.zeros_(linear.bias);
                    }

                    break;
            }
        }
    }

    private static nn.Module<Tensor, Tensor> SiLU(bool inplace) => nn.SiLU(inplace);
}

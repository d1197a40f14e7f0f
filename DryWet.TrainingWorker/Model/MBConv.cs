using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace DryWet.TrainingWorker.Model;

/// <summary>
/// The mobile inverted bottleneck block as torchvision builds it: <c>block</c> = [1×1 expand conv+BN+SiLU, only when
/// the expanded width differs] → depthwise k×k conv+BN+SiLU → squeeze-excitation → 1×1 project conv+BN; plus
/// stochastic depth and a residual add when stride is 1 and the width is unchanged. Field names are the state-dict
/// keys (<c>block.N…</c>, <c>stochastic_depth</c>), so torchvision weights load as they are.
/// </summary>
public sealed class MBConv : nn.Module<Tensor, Tensor>
{
    // Named as torchvision names them: RegisterComponents turns field names into state-dict prefixes.
#pragma warning disable IDE1006
    private readonly Sequential block;
    private readonly StochasticDepth stochastic_depth;
#pragma warning restore IDE1006

    internal MBConv(
        long inChannels, long outChannels, int expandRatio, int kernel, int stride,
        double stochasticDepthProb, Func<long, nn.Module<Tensor, Tensor>> normLayer)
        : base(nameof(MBConv))
    {
        InChannels = inChannels;
        OutChannels = outChannels;
        StochasticDepthProb = stochasticDepthProb;
        UsesResidual = stride == 1 && inChannels == outChannels;

        var expanded = EfficientNetVariant.MakeDivisible(inChannels * (double)expandRatio);
        var layers = new List<nn.Module<Tensor, Tensor>>();
        if (expanded != inChannels)
        {
            layers.Add(torchvision.ops.Conv2dNormActivation(
                inChannels, expanded, kernel_size: 1, norm_layer: normLayer, activation_layer: SiLU));
        }

        layers.Add(torchvision.ops.Conv2dNormActivation(
            expanded, expanded, kernel_size: kernel, stride: stride, groups: expanded, norm_layer: normLayer, activation_layer: SiLU));
        var squeeze = Math.Max(1, inChannels / 4);
        layers.Add(torchvision.ops.SqueezeExcitation(expanded, squeeze, activation: () => nn.SiLU(inplace: true)));
        layers.Add(torchvision.ops.Conv2dNormActivation(
            expanded, outChannels, kernel_size: 1, norm_layer: normLayer, activation_layer: null));

        block = nn.Sequential(layers);
        stochastic_depth = new StochasticDepth(stochasticDepthProb);
        RegisterComponents();
    }

    public long InChannels { get; }

    public long OutChannels { get; }

    public double StochasticDepthProb { get; }

    /// <summary>True when the block adds its input to its output (stride 1, in == out channels).</summary>
    public bool UsesResidual { get; }

    /// <summary>The block's layers (expand?, depthwise, SE, project), for the ONNX exporter.</summary>
    internal Sequential Block => block;

    public override Tensor forward(Tensor input)
    {
        var result = block.call(input);
        if (!UsesResidual)
        {
            return result;
        }

        // Out of place (torchvision uses +=): in eval stochastic depth returns an alias of the block output.
        // The alpha Scalar is explicit and alive for the call: `dropped + input` makes an implicit one that a GC can
        // finalize while libtorch reads it (seen as an abort in Scalar::toFloat during a sweep's training).
        using var dropped = stochastic_depth.call(result);
        using Scalar one = 1;
        return dropped.add(input, one);
    }

    private static nn.Module<Tensor, Tensor> SiLU(bool inplace) => nn.SiLU(inplace);
}

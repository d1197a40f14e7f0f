using TorchSharp;
using static TorchSharp.torch;

namespace DryWet.TrainingWorker.Model;

/// <summary>
/// torchvision's row-mode stochastic depth (drop a sample's residual branch with probability p, scale survivors by
/// 1/(1−p); identity in eval), written here so its Scalars are rooted during the native calls (TorchVision 0.107's
/// version converts them implicitly; see <see cref="SafeBatchNorm2d"/>). No parameters, so no state-dict keys.
/// </summary>
public sealed class StochasticDepth(double probability) : nn.Module<Tensor, Tensor>("StochasticDepth")
{
    public double Probability { get; } = probability is >= 0 and <= 1
        ? probability
        : throw new ArgumentOutOfRangeException(nameof(probability), probability, "must be in [0, 1]");

    public override Tensor forward(Tensor input)
    {
        if (!training || Probability == 0)
        {
            return input.alias();
        }

        var survival = 1.0 - Probability;
        using var noise = empty([input.shape[0], 1, 1, 1], input.dtype, input.device);
        using (Scalar keep = survival)
        {
            noise.bernoulli_(survival);
            if (survival > 0)
            {
                noise.div_(keep);
            }
        }

        return input * noise;
    }
}

using TorchSharp;
using static TorchSharp.torch;

namespace DryWet.TrainingWorker.Training;

/// <summary>
/// The original's focal loss: weighted cross-entropy per sample (<c>reduction='none'</c>), <c>pt = exp(-ce)</c>,
/// loss = mean((1 − pt)^γ · ce). Class weights are <c>total / count_i</c> (see <see cref="ClassWeights"/>).
/// </summary>
public sealed class FocalLoss(Tensor? classWeights, double gamma)
{
    public Tensor Compute(Tensor logits, Tensor targets)
    {
        using var scope = NewDisposeScope();
        // Explicit Scalars, alive until the calls return (implicit ones can be finalized mid-call in TorchSharp 0.107).
        using Scalar one = 1.0, exponent = gamma;
        var ce = nn.functional.cross_entropy(logits, targets, classWeights, reduction: nn.Reduction.None);
        var pt = exp(-ce);
        var loss = (pt.neg().add_(one, one).pow_(exponent) * ce).mean();
        return loss.MoveToOuterDisposeScope();
    }

    /// <summary><c>total / count_i</c> per class, as the original.</summary>
    public static float[] ClassWeights(IReadOnlyList<int> countsPerClass)
    {
        var total = countsPerClass.Sum();
        return countsPerClass.Select(c => c == 0 ? 0f : (float)total / c).ToArray();
    }
}

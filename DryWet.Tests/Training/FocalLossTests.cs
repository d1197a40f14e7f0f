using DryWet.TrainingWorker.Training;
using static TorchSharp.torch;

namespace DryWet.Tests.Training;

[Collection("TorchSharp")]
public sealed class FocalLossTests
{
    [Fact]
    public void Focal_loss_is_the_mean_of_one_minus_pt_to_the_gamma_times_weighted_cross_entropy()
    {
        DryWet.Tests.Model.TorchTestSupport.EnsureTorch();
        double[,] logits = { { 2, 0 }, { 0, 1 } };
        int[] targets = [0, 1];
        double[] weights = [1, 3];
        const double gamma = 2;

        // By hand, as the original: ce = w[y] * -log softmax[y]; pt = exp(-ce); mean((1 - pt)^gamma * ce).
        var expected = Enumerable.Range(0, 2).Average(i =>
        {
            var logSumExp = Math.Log(Math.Exp(logits[i, 0]) + Math.Exp(logits[i, 1]));
            var ce = weights[targets[i]] * (logSumExp - logits[i, targets[i]]);
            return Math.Pow(1 - Math.Exp(-ce), gamma) * ce;
        });

        using var weightTensor = tensor(weights.Select(w => (float)w).ToArray());
        using var input = tensor(new float[] { 2, 0, 0, 1 }, [2, 2]);
        using var target = tensor(new long[] { 0, 1 });
        using var loss = new FocalLoss(weightTensor, gamma).Compute(input, target);
        loss.item<float>().ShouldBe((float)expected, 1e-5f);

        // gamma = 0 is plain weighted cross-entropy averaged per sample.
        using var ce0 = new FocalLoss(weightTensor, 0).Compute(input, target);
        ce0.item<float>().ShouldBe((float)Enumerable.Range(0, 2).Average(i =>
            weights[targets[i]] * (Math.Log(Math.Exp(logits[i, 0]) + Math.Exp(logits[i, 1])) - logits[i, targets[i]])), 1e-5f);
    }
}

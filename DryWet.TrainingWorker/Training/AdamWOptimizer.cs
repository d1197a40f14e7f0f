using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace DryWet.TrainingWorker.Training;

/// <summary>
/// AdamW (decoupled weight decay, Loshchilov &amp; Hutter) with PyTorch's update rule, per parameter group:
/// <c>p ← p·(1 − lr·wd)</c>; <c>m ← β₁m + (1−β₁)g</c>; <c>v ← β₂v + (1−β₂)g²</c>;
/// <c>p ← p − (lr / (1−β₁ᵗ)) · m / (√v / √(1−β₂ᵗ) + ε)</c>. Written here instead of using TorchSharp 0.107's
/// <c>optim.AdamW</c>, whose step converts doubles to <see cref="Scalar"/>s implicitly and lets them be finalized
/// during the native call (a GC then corrupts a step): every Scalar here lives in a <c>using</c> for the call, and
/// only overloads that take every Scalar explicitly are called (<c>add_(Scalar)</c> makes its alpha implicitly).
/// Frozen parameters (no gradient) are skipped, as PyTorch does, and keep their own step counts.
/// </summary>
public sealed class AdamWOptimizer : IDisposable
{
    private readonly List<Group> _groups;

    public AdamWOptimizer(IEnumerable<(IReadOnlyList<Parameter> Parameters, double LearningRate)> groups, double weightDecay,
        double beta1 = 0.9, double beta2 = 0.999, double eps = 1e-8)
    {
        WeightDecay = weightDecay;
        Beta1 = beta1;
        Beta2 = beta2;
        Eps = eps;
        _groups = groups.Select(g => new Group(g.Parameters.Select(p => new ParameterState(p)).ToList()) { LearningRate = g.LearningRate }).ToList();
    }

    public double WeightDecay { get; }
    public double Beta1 { get; }
    public double Beta2 { get; }
    public double Eps { get; }

    /// <summary>The groups' learning rates, in the order given.</summary>
    public IReadOnlyList<double> LearningRates => _groups.Select(g => g.LearningRate).ToList();

    public void SetLearningRate(int group, double learningRate) => _groups[group].LearningRate = learningRate;

    public void ZeroGrad()
    {
        foreach (var state in _groups.SelectMany(g => g.Parameters))
        {
            using var grad = state.Parameter.grad;
            grad?.zero_();
        }
    }

    public void Step()
    {
        using var _ = no_grad();
        using Scalar one = 1.0, beta1 = Beta1, oneMinusBeta1 = 1 - Beta1, beta2 = Beta2, oneMinusBeta2 = 1 - Beta2, eps = Eps;
        foreach (var group in _groups)
        {
            using Scalar decay = 1 - group.LearningRate * WeightDecay;
            foreach (var state in group.Parameters)
            {
                using var grad = state.Parameter.grad;
                if (grad is null)
                {
                    continue;
                }

                state.Step++;
                var biasCorrection1 = 1 - Math.Pow(Beta1, state.Step);
                var biasCorrection2 = 1 - Math.Pow(Beta2, state.Step);
                using Scalar sqrtBias2 = Math.Sqrt(biasCorrection2), stepSize = -group.LearningRate / biasCorrection1;

                state.Parameter.mul_(decay);
                state.ExpAvg.mul_(beta1).add_(grad, oneMinusBeta1);
                state.ExpAvgSq.mul_(beta2).addcmul_(grad, grad, oneMinusBeta2);
                using var denominator = state.ExpAvgSq.sqrt();
                denominator.div_(sqrtBias2).add_(eps, one); // with alpha: add_(Scalar) makes its own implicit alpha Scalar
                state.Parameter.addcdiv_(state.ExpAvg, denominator, stepSize);
            }
        }
    }

    public void Dispose()
    {
        foreach (var state in _groups.SelectMany(g => g.Parameters))
        {
            state.Dispose();
        }
    }

    private sealed record Group(List<ParameterState> Parameters)
    {
        public double LearningRate { get; set; }
    }

    private sealed class ParameterState(Parameter parameter) : IDisposable
    {
        public Parameter Parameter { get; } = parameter;
        public Tensor ExpAvg { get; } = zeros_like(parameter).DetachFromDisposeScope();
        public Tensor ExpAvgSq { get; } = zeros_like(parameter).DetachFromDisposeScope();
        public long Step { get; set; }

        public void Dispose()
        {
            ExpAvg.Dispose();
            ExpAvgSq.Dispose();
        }
    }
}

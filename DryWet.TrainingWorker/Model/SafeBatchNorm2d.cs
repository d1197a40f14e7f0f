using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace DryWet.TrainingWorker.Model;

/// <summary>
/// BatchNorm2d with PyTorch's semantics and state-dict names (<c>weight</c>, <c>bias</c>, <c>running_mean</c>,
/// <c>running_var</c>, <c>num_batches_tracked</c>), written here because TorchSharp 0.107's own module increments
/// <c>num_batches_tracked</c> with an implicitly converted <see cref="Scalar"/> that nothing keeps alive: a GC during
/// that native call could finalize the Scalar under libtorch. Here the Scalar is rooted for the call's duration.
/// </summary>
public sealed class SafeBatchNorm2d : nn.Module<Tensor, Tensor>
{
#pragma warning disable IDE1006 // field names are state-dict keys
    private readonly Parameter weight;
    private readonly Parameter bias;
    private readonly Tensor running_mean;
    private readonly Tensor running_var;
    private readonly Tensor num_batches_tracked;
#pragma warning restore IDE1006

    public SafeBatchNorm2d(long numFeatures, double eps = 1e-5, double momentum = 0.1) : base("BatchNorm2d")
    {
        NumFeatures = numFeatures;
        Eps = eps;
        Momentum = momentum;
        weight = new Parameter(ones(numFeatures));
        bias = new Parameter(zeros(numFeatures));
        running_mean = zeros(numFeatures);
        running_var = ones(numFeatures);
        num_batches_tracked = zeros(1, ScalarType.Int64).squeeze();
        register_parameter(nameof(weight), weight);
        register_parameter(nameof(bias), bias);
        register_buffer(nameof(running_mean), running_mean);
        register_buffer(nameof(running_var), running_var);
        register_buffer(nameof(num_batches_tracked), num_batches_tracked);
    }

    public long NumFeatures { get; }

    public double Eps { get; }

    /// <summary>Settable, as PyTorch's attribute is (tests calibrate statistics with momentum 1).</summary>
    public double Momentum { get; set; }

    public Parameter Weight => weight;

    public Parameter Bias => bias;

    public Tensor RunningMean => running_mean;

    public Tensor RunningVar => running_var;

    public override Tensor forward(Tensor input)
    {
        if (input.ndim != 4)
        {
            throw new ArgumentException($"BatchNorm2d expects a 4-D input [N, C, H, W], got {input.ndim}-D.", nameof(input));
        }

        if (training)
        {
            using var _ = no_grad();
            using Scalar one = 1L;
            num_batches_tracked.add_(one, one); // alpha explicit too: add_(Scalar) creates it implicitly
        }

        return nn.functional.batch_norm(input, running_mean, running_var, weight, bias, training, Momentum, Eps);
    }
}

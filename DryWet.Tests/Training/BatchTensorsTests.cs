using DryWet.Core.Configuration;
using DryWet.TrainingWorker.Data;
using DryWet.TrainingWorker.Model;
using DryWet.TrainingWorker.Training;
using static TorchSharp.torch;

namespace DryWet.Tests.Training;

/// <summary>The trainer's input is channels-last in memory, holds the prefetched values, and gives the model's NCHW answers.</summary>
[Collection("TorchSharp")]
public sealed class BatchTensorsTests
{
    [Fact]
    public void Images_hold_the_batch_values_in_channels_last_strides()
    {
        DryWet.Tests.Model.TorchTestSupport.EnsureTorch();
        const int size = 4;
        var data = Enumerable.Range(0, 2 * 3 * size * size).Select(i => (float)i).ToArray();
        var batch = new Batch(data, [0, 1], 2);

        using var scope = NewDisposeScope();
        var images = BatchTensors.Images(batch, size, CPU);
        var labels = BatchTensors.Labels(batch, CPU);

        images.shape.ShouldBe([2L, 3, size, size]);
        images.stride().ShouldBe([3L * size * size, 1, 3L * size, 3]);
        images.contiguous().data<float>().ToArray().ShouldBe(data);
        images[1, 2, 3, 1].item<float>().ShouldBe(data[((1 * 3 + 2) * size + 3) * size + 1]);
        labels.data<long>().ToArray().ShouldBe([0L, 1L]);
    }

    [Fact]
    public void The_network_keeps_channels_last_through_its_layers_and_answers_as_for_nchw()
    {
        DryWet.Tests.Model.TorchTestSupport.EnsureTorch();
        random.manual_seed(3);
        const int size = 64; // features end at 2×2: NCHW and channels-last strides differ there
        var data = Enumerable.Range(0, 2 * 3 * size * size).Select(i => (float)Math.Sin(i * 0.37)).ToArray();
        using var model = EfficientNet.Create(new DryWetConfig.ModelSection { Architecture = "efficientnet_tiny", Pretrained = "none" });
        model.eval();

        using var scope = NewDisposeScope();
        using var _ = no_grad();
        var channelsLast = BatchTensors.Images(new Batch(data, [0, 1], 2), size, CPU);
        var nchw = tensor(data, [2, 3, size, size]);
        var features = model.Features.call(channelsLast);

        // Channels are the densest dimension of the features too: oneDNN kept the layout end to end.
        features.stride()[1].ShouldBe(1L);
        var expected = model.forward(nchw).data<float>().ToArray();
        var actual = model.forward(channelsLast).data<float>().ToArray();
        actual.Length.ShouldBe(expected.Length);
        for (var i = 0; i < expected.Length; i++)
        {
            actual[i].ShouldBe(expected[i], 1e-4f);
        }
    }
}

using DryWet.Core;
using DryWet.TrainingWorker.Model;
using TorchSharp;
using TorchSharp.PyBridge;
using static TorchSharp.torch;

namespace DryWet.Tests.Model;

[Collection(nameof(TorchSharp))]
public sealed class ModelWeightsTests : IDisposable
{
    private readonly string dir = TorchTestSupport.NewTempDirectory();

    public ModelWeightsTests() => TorchTestSupport.EnsureTorch();

    public void Dispose() => Directory.Delete(dir, recursive: true);

    /// <summary>A tiny network whose every parameter and buffer differs from a fresh one.</summary>
    private static EfficientNet Scrambled(int numClasses)
    {
        var net = new EfficientNet(EfficientNetVariant.Tiny, numClasses);
        using var _ = no_grad();
        // Every Scalar explicit and alive for its call: an implicit one can be finalized while libtorch reads it.
        using TorchSharp.Scalar seven = 7;
        foreach (var (_, tensor) in net.state_dict())
        {
            if (tensor.is_floating_point())
            {
                tensor.uniform_(0.1, 0.9);
            }
            else
            {
                tensor.fill_(seven);
            }
        }

        return net;
    }

    private static void ShouldBeIdentical(Dictionary<string, Tensor> actual, Dictionary<string, Tensor> expected, Func<string, bool> which)
    {
        var keys = expected.Keys.Where(which).ToList();
        keys.ShouldNotBeEmpty();
        foreach (var key in keys)
        {
            actual[key].shape.ShouldBe(expected[key].shape, key);
            actual[key].eq(expected[key]).all().item<bool>().ShouldBeTrue(key);
        }
    }

    [Fact]
    public void PyBridge_save_py_then_load_py_gives_identical_tensors()
    {
        using var source = Scrambled(2);
        var path = Path.Combine(dir, "weights.pth");
        source.save_py(path);

        using var target = new EfficientNet(EfficientNetVariant.Tiny, 2);
        target.load_py(path);

        ShouldBeIdentical(target.state_dict(), source.state_dict(), _ => true);
    }

    [Fact]
    public void LoadPretrained_takes_the_backbone_of_a_torch_state_dict_and_keeps_the_new_classifier()
    {
        using var imagenet = Scrambled(1000);
        var path = Path.Combine(dir, "efficientnet_tiny.pth");
        imagenet.save_py(path);

        using var net = new EfficientNet(EfficientNetVariant.Tiny, 2);
        var freshHead = net.state_dict()["classifier.1.weight"].clone();

        var loaded = ModelWeights.LoadPretrained(net, path);

        loaded.ShouldBe(net.state_dict().Count - 2);
        ShouldBeIdentical(net.state_dict(), imagenet.state_dict(), k => !k.StartsWith("classifier.", StringComparison.Ordinal));
        net.state_dict()["classifier.1.weight"].eq(freshHead).all().item<bool>().ShouldBeTrue();
        net.eval();
        using var logits = net.call(randn(1, 3, 32, 32)); // the model's own tensors are still alive
        logits.shape.ShouldBe([1L, 2L]);
    }

    [Fact]
    public void LoadPretrained_reads_a_file_in_torch_save_layout_with_an_imagenet_head_and_metadata()
    {
        // Shaped like torchvision's efficientnet_*.pth: 1000-class head, _metadata, int64 num_batches_tracked.
        using var imagenet = Scrambled(1000);
        var path = Path.Combine(dir, "efficientnet_tiny_imagenet.pth");
        TorchSaveWriter.Write(path, imagenet.state_dict().Select(kv => (kv.Key, kv.Value)).ToList());

        using var net = new EfficientNet(EfficientNetVariant.Tiny, 2);
        ModelWeights.LoadPretrained(net, path).ShouldBe(net.state_dict().Count - 2);

        ShouldBeIdentical(net.state_dict(), imagenet.state_dict(), k => !k.StartsWith("classifier.", StringComparison.Ordinal));
        net.state_dict()["features.0.1.num_batches_tracked"].item<long>().ShouldBe(7);
    }

    [Fact]
    public void LoadPretrained_reads_safetensors()
    {
        using var source = Scrambled(1000);
        var path = Path.Combine(dir, "backbone.safetensors");
        Safetensors.SaveStateDict(path, source.state_dict());

        using var net = new EfficientNet(EfficientNetVariant.Tiny, 2);
        ModelWeights.LoadPretrained(net, path);

        ShouldBeIdentical(net.state_dict(), source.state_dict(), k => !k.StartsWith("classifier.", StringComparison.Ordinal));
    }

    [Fact]
    public void LoadPretrained_reads_a_TorchSharp_dat_file_too()
    {
        using var source = Scrambled(5);
        var path = Path.Combine(dir, "backbone.dat");
        source.save(path);

        using var net = new EfficientNet(EfficientNetVariant.Tiny, 2);
        ModelWeights.LoadPretrained(net, path);

        ShouldBeIdentical(net.state_dict(), source.state_dict(), k => !k.StartsWith("classifier.", StringComparison.Ordinal));
    }

    [Fact]
    public void LoadPretrained_of_a_missing_file_names_it_and_the_model_pretrained_alternative()
    {
        using var net = new EfficientNet(EfficientNetVariant.Tiny, 2);
        var path = Path.Combine(dir, "efficientnet_b3_rwightman.pth");
        var ex = Should.Throw<DryWetException>(() => ModelWeights.LoadPretrained(net, path));
        ex.Message.ShouldContain(path);
        ex.Message.ShouldContain("does not exist");
        ex.Message.ShouldContain("model.pretrained (imagenet: downloaded and cached; none: from scratch)");
    }

    [Fact]
    public void LoadPretrained_of_another_architecture_names_the_problem()
    {
        using var b0 = new EfficientNet(EfficientNetVariant.B0, 2);
        var path = Path.Combine(dir, "b0.pth");
        b0.save_py(path);

        using var tiny = new EfficientNet(EfficientNetVariant.Tiny, 2);
        var ex = Should.Throw<DryWetException>(() => ModelWeights.LoadPretrained(tiny, path));
        ex.Message.ShouldContain("efficientnet_tiny");
        ex.Message.ShouldContain(path);
    }

    [Fact]
    public void LoadPretrained_of_a_file_missing_backbone_tensors_lists_them()
    {
        using var source = Scrambled(2);
        var path = Path.Combine(dir, "partial.pth");
        source.save_py(path, skip: ["features.8.0.weight", "features.8.1.weight"]);

        using var net = new EfficientNet(EfficientNetVariant.Tiny, 2);
        var ex = Should.Throw<DryWetException>(() => ModelWeights.LoadPretrained(net, path));
        ex.Message.ShouldContain("lacks 2 of");
        ex.Message.ShouldContain("features.8.0.weight");
    }

    [Theory]
    [InlineData("weights.txt", "hello")]
    [InlineData("weights.pth", "\u0080\u0002legacy pickle")]
    public void LoadPretrained_rejects_files_it_cannot_read_with_the_reason(string name, string content)
    {
        var path = Path.Combine(dir, name);
        File.WriteAllText(path, content, System.Text.Encoding.Latin1);
        using var net = new EfficientNet(EfficientNetVariant.Tiny, 2);
        var ex = Should.Throw<DryWetException>(() => ModelWeights.LoadPretrained(net, path));
        ex.Message.ShouldContain(path);
        ex.Message.ShouldContain("torch.save");
    }

    [Fact]
    public void Checkpoint_round_trip_restores_every_tensor()
    {
        using var source = Scrambled(2);
        var path = Path.Combine(dir, "best", "model.dat");
        ModelWeights.SaveCheckpoint(source, path);
        ModelWeights.SaveCheckpoint(source, path); // overwrite is fine

        using var target = new EfficientNet(EfficientNetVariant.Tiny, 2);
        ModelWeights.LoadCheckpoint(target, path);

        ShouldBeIdentical(target.state_dict(), source.state_dict(), _ => true);
        Directory.GetFiles(Path.GetDirectoryName(path)!).ShouldBe([path]); // no temp file left
    }

    [Fact]
    public void Checkpoint_of_another_class_count_is_a_clear_error()
    {
        using var source = new EfficientNet(EfficientNetVariant.Tiny, 3);
        var path = Path.Combine(dir, "three.dat");
        ModelWeights.SaveCheckpoint(source, path);

        using var target = new EfficientNet(EfficientNetVariant.Tiny, 2);
        var ex = Should.Throw<DryWetException>(() => ModelWeights.LoadCheckpoint(target, path));
        ex.Message.ShouldContain(path);
        Should.Throw<DryWetException>(() => ModelWeights.LoadCheckpoint(target, Path.Combine(dir, "none.dat")))
            .Message.ShouldContain("does not exist");
    }
}

using DryWet.Core;
using TorchSharp.PyBridge;
using static TorchSharp.torch;

namespace DryWet.TrainingWorker.Model;

/// <summary>
/// Weights in and out of an <see cref="EfficientNet"/>: pretrained backbones (<c>model.pretrained_path</c>) and the
/// trainer's best-epoch checkpoint. Reads local files only; <see cref="PretrainedWeightsSource"/> downloads ImageNet weights.
/// </summary>
public static class ModelWeights
{
    /// <summary>State-dict keys of the classification head, never taken from pretrained weights (class counts differ).</summary>
    public static readonly IReadOnlyList<string> ClassifierKeys = ["classifier.1.weight", "classifier.1.bias"];

    private const string HowToSupply =
        "Point model.pretrained_path at a torchvision state dict (e.g. efficientnet_b3_rwightman-b3899882.pth), or leave it" +
        " empty to use model.pretrained (imagenet: downloaded and cached; none: from scratch).";

    /// <summary>
    /// Loads a pretrained backbone into <paramref name="model"/>, keeping its classifier as initialised.
    /// Accepts a PyTorch state dict saved by <c>torch.save</c> (zip format: .pth/.pt/.bin, e.g. torchvision's
    /// efficientnet_b3 weights), a safetensors file, or a TorchSharp <c>.dat</c> written by <c>module.save</c>.
    /// Every non-classifier tensor of the model must be present with the same shape.
    /// </summary>
    /// <returns>How many tensors were loaded.</returns>
    /// <exception cref="DryWetException">Missing file, unknown format, wrong architecture or shapes.</exception>
    public static int LoadPretrained(EfficientNet model, string path)
    {
        ArgumentNullException.ThrowIfNull(model);
        if (string.IsNullOrWhiteSpace(path))
        {
            throw new DryWetException("model.pretrained_path is empty. " + HowToSupply);
        }

        if (!File.Exists(path))
        {
            throw new DryWetException($"model.pretrained_path = '{path}' does not exist. {HowToSupply}");
        }

        var format = DetectFormat(path);
        using var scope = NewDisposeScope(); // frees the file's tensors once copied (the model's own are not in it)
        try
        {
            return format switch
            {
                WeightsFormat.PyTorchZip => LoadPyTorchZip(model, path),
                WeightsFormat.SafeTensors => CopyBackbone(model, path, ReadSafeTensors(path)),
                _ => LoadTorchSharpDat(model, path),
            };
        }
        catch (Exception ex) when (ex is not DryWetException and not OutOfMemoryException)
        {
            throw new DryWetException(
                $"model.pretrained_path = '{path}' could not be read as {format} weights for {model.Variant.Name} ({ex.Message.Trim()}). " +
                $"The file must hold {model.Variant.Name} weights (state-dict keys such as features.1.0.block.0.0.weight).", ex);
        }
    }

    /// <summary>A tensor in a weights file: its shape, and how to get its values.</summary>
    private readonly record struct StoredTensor(long[] Shape, Func<Tensor> Read);

    private static int LoadPyTorchZip(EfficientNet model, string path)
    {
        // PyBridge's unpickler, then a shape-checked copy: load_py(strict: false, skip: classifier) cannot skip a
        // classifier whose shape differs (1.4.4 maps the file's [1000, C] storage onto the model's [2, C] tensor and fails).
        var table = PyTorchUnpickler.UnpickleStateDict(path);
        var stored = new Dictionary<string, StoredTensor>(StringComparer.Ordinal);
        foreach (System.Collections.DictionaryEntry entry in table)
        {
            stored[(string)entry.Key] = entry.Value is Tensor tensor
                ? new StoredTensor(tensor.shape, () => tensor)
                : throw new DryWetException(
                    $"model.pretrained_path = '{path}': entry '{entry.Key}' is not a tensor; the file must be a state dict (torch.save(model.state_dict(), path)), not a whole model or a training checkpoint.");
        }

        return CopyBackbone(model, path, stored);
    }

    private static Dictionary<string, StoredTensor> ReadSafeTensors(string path) =>
        Safetensors.LoadStateDict(path).ToDictionary(kv => kv.Key, kv => new StoredTensor(kv.Value.shape, () => kv.Value), StringComparer.Ordinal);

    /// <summary>Checks every backbone tensor is present with the model's shape, then copies them in.</summary>
    private static int CopyBackbone(EfficientNet model, string path, IReadOnlyDictionary<string, StoredTensor> stored)
    {
        var targets = model.state_dict().Where(kv => !ClassifierKeys.Contains(kv.Key)).ToList();
        var missing = targets.Where(kv => !stored.ContainsKey(kv.Key)).Select(kv => kv.Key).ToList();
        if (missing.Count > 0)
        {
            throw new DryWetException(
                $"model.pretrained_path = '{path}' lacks {missing.Count} of the {targets.Count} tensors {model.Variant.Name} needs " +
                $"(first: {string.Join(", ", missing.Take(3))}); is it a different architecture? Set model.architecture to match the weights.");
        }

        var mismatched = targets
            .Where(kv => !kv.Value.shape.SequenceEqual(stored[kv.Key].Shape))
            .Select(kv => $"{kv.Key} is [{string.Join(", ", stored[kv.Key].Shape)}] in the file but [{string.Join(", ", kv.Value.shape)}] in the model")
            .ToList();
        if (mismatched.Count > 0)
        {
            throw new DryWetException(
                $"model.pretrained_path = '{path}' does not fit {model.Variant.Name}: {mismatched.Count} tensors differ in shape " +
                $"(first: {string.Join("; ", mismatched.Take(2))}). Set model.architecture to the variant the weights were trained for.");
        }

        using var scope = NewDisposeScope();
        using var _ = no_grad();
        foreach (var (key, target) in targets)
        {
            target.copy_(stored[key].Read());
        }

        return targets.Count;
    }

    private static int LoadTorchSharpDat(EfficientNet model, string path)
    {
        var loaded = new Dictionary<string, bool>();
        model.load(path, strict: false, skip: ClassifierKeys.ToList(), loadedParameters: loaded);
        var missing = model.state_dict().Keys.Where(k => !ClassifierKeys.Contains(k) && !loaded.GetValueOrDefault(k)).ToList();
        if (missing.Count > 0)
        {
            throw new DryWetException(
                $"model.pretrained_path = '{path}' lacks {missing.Count} tensors {model.Variant.Name} needs " +
                $"(first: {string.Join(", ", missing.Take(3))}); is it a different architecture? Set model.architecture to match the weights.");
        }

        return model.state_dict().Count - ClassifierKeys.Count;
    }

    /// <summary>Saves every parameter and buffer (TorchSharp .dat format), atomically.</summary>
    public static void SaveCheckpoint(nn.Module model, string path)
    {
        ArgumentNullException.ThrowIfNull(model);
        var full = Path.GetFullPath(path);
        Directory.CreateDirectory(Path.GetDirectoryName(full)!);
        var temp = full + $".tmp-{Guid.NewGuid():N}";
        try
        {
            model.save(temp);
            File.Move(temp, full, overwrite: true);
        }
        finally
        {
            File.Delete(temp);
        }
    }

    /// <summary>Restores a checkpoint written by <see cref="SaveCheckpoint"/> into a model of the same architecture (strict).</summary>
    /// <exception cref="DryWetException">Missing file, or a checkpoint of another architecture / class count.</exception>
    public static void LoadCheckpoint(nn.Module model, string path)
    {
        ArgumentNullException.ThrowIfNull(model);
        if (!File.Exists(path))
        {
            throw new DryWetException($"Checkpoint '{path}' does not exist.");
        }

        try
        {
            model.load(path, strict: true);
        }
        catch (Exception ex) when (ex is not DryWetException and not OutOfMemoryException)
        {
            throw new DryWetException(
                $"Checkpoint '{path}' does not match the model ({ex.Message.Trim()}); it was saved from another architecture or class count.", ex);
        }
    }

    internal enum WeightsFormat
    {
        PyTorchZip,
        SafeTensors,
        TorchSharp,
    }

    /// <summary>By content where the format has a signature (zip, legacy pickle), else by extension.</summary>
    internal static WeightsFormat DetectFormat(string path)
    {
        Span<byte> head = stackalloc byte[4];
        int read;
        using (var stream = File.OpenRead(path))
        {
            read = stream.ReadAtLeast(head, head.Length, throwOnEndOfStream: false);
        }

        if (read >= 4 && head[0] == (byte)'P' && head[1] == (byte)'K' && head[2] == 3 && head[3] == 4)
        {
            return WeightsFormat.PyTorchZip;
        }

        var extension = Path.GetExtension(path).ToLowerInvariant();
        if (read >= 2 && head[0] == 0x80 && extension is ".pth" or ".pt" or ".bin" or ".pkl")
        {
            throw new DryWetException(
                $"model.pretrained_path = '{path}' uses PyTorch's legacy (pre-1.6) pickle format, which cannot be read here. " +
                "Re-save it in the zip format: torch.save(torch.load(path), \"weights.pth\").");
        }

        return extension switch
        {
            ".safetensors" => WeightsFormat.SafeTensors,
            ".dat" => WeightsFormat.TorchSharp,
            _ => throw new DryWetException(
                $"model.pretrained_path = '{path}' is not a recognised weights file: expected a PyTorch state dict saved by torch.save" +
                " (zip format, .pth/.pt), a .safetensors file or a TorchSharp .dat file."),
        };
    }
}

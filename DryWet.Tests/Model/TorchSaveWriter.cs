using System.IO.Compression;
using System.Text;
using static TorchSharp.torch;

namespace DryWet.Tests.Model;

/// <summary>
/// Writes a state dict in the layout PyTorch's <c>torch.save</c> uses for torchvision weights, independently of
/// PyBridge's writer: a zip with <c>&lt;name&gt;/data.pkl</c> (pickle protocol 2: an <c>OrderedDict</c> of
/// <c>torch._utils._rebuild_tensor_v2</c> calls on persistent storages, then its <c>_metadata</c> set by BUILD),
/// <c>&lt;name&gt;/data/&lt;key&gt;</c> raw little-endian storages, <c>version</c> and <c>byteorder</c>.
/// Python cannot run here, so this is how the tests get a file shaped like a real torchvision .pth.
/// </summary>
internal static class TorchSaveWriter
{
    public static void Write(string path, IReadOnlyList<(string Key, Tensor Value)> stateDict)
    {
        var name = Path.GetFileNameWithoutExtension(path);
        using var zip = ZipFile.Open(path, ZipArchiveMode.Create);
        var pickle = new MemoryStream();
        var p = new BinaryWriter(pickle, Encoding.UTF8);

        p.Write((byte)0x80);
        p.Write((byte)2); // PROTO 2
        Global(p, "collections", "OrderedDict");
        p.Write((byte)')'); // EMPTY_TUPLE
        p.Write((byte)'R'); // REDUCE -> OrderedDict()
        p.Write((byte)'('); // MARK
        for (var i = 0; i < stateDict.Count; i++)
        {
            var (key, value) = stateDict[i];
            using var cpu = value.detach().cpu().contiguous();
            var storageKey = i.ToString(System.Globalization.CultureInfo.InvariantCulture);
            var (storageType, bytes) = cpu.dtype switch
            {
                ScalarType.Float32 => ("FloatStorage", cpu.data<float>().ToArray().SelectMany(BitConverter.GetBytes).ToArray()),
                ScalarType.Int64 => ("LongStorage", cpu.data<long>().ToArray().SelectMany(BitConverter.GetBytes).ToArray()),
                _ => throw new NotSupportedException(cpu.dtype.ToString()),
            };
            var entry = zip.CreateEntry($"{name}/data/{storageKey}", CompressionLevel.NoCompression);
            using (var stream = entry.Open())
            {
                stream.Write(bytes);
            }

            Unicode(p, key);
            Global(p, "torch._utils", "_rebuild_tensor_v2");
            p.Write((byte)'('); // MARK: args of _rebuild_tensor_v2
            p.Write((byte)'('); // MARK: persistent id tuple
            Unicode(p, "storage");
            Global(p, "torch", storageType);
            Unicode(p, storageKey);
            Unicode(p, "cpu");
            Int(p, cpu.numel());
            p.Write((byte)'t'); // TUPLE
            p.Write((byte)'Q'); // BINPERSID
            Int(p, 0); // storage offset
            Tuple(p, cpu.shape);
            Tuple(p, cpu.stride());
            p.Write((byte)0x89); // NEWFALSE: requires_grad
            Global(p, "collections", "OrderedDict");
            p.Write((byte)')');
            p.Write((byte)'R'); // backward_hooks = OrderedDict()
            p.Write((byte)'t'); // TUPLE
            p.Write((byte)'R'); // REDUCE -> tensor
        }

        p.Write((byte)'u'); // SETITEMS
        // state = {'_metadata': OrderedDict([('', {'version': 1}), ('features', {'version': 1})])}, applied by BUILD
        p.Write((byte)'}');
        Unicode(p, "_metadata");
        Global(p, "collections", "OrderedDict");
        p.Write((byte)')');
        p.Write((byte)'R');
        p.Write((byte)'(');
        foreach (var module in new[] { "", "features" })
        {
            Unicode(p, module);
            p.Write((byte)'}');
            Unicode(p, "version");
            Int(p, 1);
            p.Write((byte)'s'); // SETITEM
        }

        p.Write((byte)'u');
        p.Write((byte)'s');
        p.Write((byte)'b'); // BUILD
        p.Write((byte)'.'); // STOP
        p.Flush();

        WriteEntry(zip, $"{name}/data.pkl", pickle.ToArray());
        WriteEntry(zip, $"{name}/byteorder", Encoding.ASCII.GetBytes("little"));
        WriteEntry(zip, $"{name}/version", Encoding.ASCII.GetBytes("3\n"));
    }

    private static void WriteEntry(ZipArchive zip, string name, byte[] bytes)
    {
        using var stream = zip.CreateEntry(name, CompressionLevel.NoCompression).Open();
        stream.Write(bytes);
    }

    private static void Global(BinaryWriter p, string module, string name)
    {
        p.Write((byte)'c');
        p.Write(Encoding.ASCII.GetBytes($"{module}\n{name}\n"));
    }

    private static void Unicode(BinaryWriter p, string value)
    {
        var bytes = Encoding.UTF8.GetBytes(value);
        p.Write((byte)'X');
        p.Write((uint)bytes.Length);
        p.Write(bytes);
    }

    private static void Int(BinaryWriter p, long value)
    {
        p.Write((byte)'J'); // BININT (int32, little-endian)
        p.Write(checked((int)value));
    }

    private static void Tuple(BinaryWriter p, long[] values)
    {
        p.Write((byte)'(');
        foreach (var value in values)
        {
            Int(p, value);
        }

        p.Write((byte)'t');
    }
}

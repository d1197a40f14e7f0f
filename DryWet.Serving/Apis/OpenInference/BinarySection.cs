using System.Buffers.Binary;

namespace DryWet.Serving.Apis.OpenInference;

/// <summary>The binary tensors after the JSON header, taken in input order.</summary>
internal sealed class BinarySection(ReadOnlyMemory<byte> data)
{
    private int _offset;

    public int Remaining => data.Length - _offset;

    public bool TryTake(long size, out ReadOnlyMemory<byte> bytes)
    {
        bytes = default;
        if (size < 0 || size > Remaining)
        {
            return false;
        }

        bytes = data.Slice(_offset, (int)size);
        _offset += (int)size;
        return true;
    }

    /// <summary>Splits Triton's BYTES layout: each element is a 4-byte little-endian length, then that many bytes.</summary>
    public static List<ReadOnlyMemory<byte>>? SplitBytesElements(ReadOnlyMemory<byte> tensor)
    {
        var elements = new List<ReadOnlyMemory<byte>>();
        var offset = 0;
        while (offset < tensor.Length)
        {
            if (tensor.Length - offset < 4)
            {
                return null;
            }

            var length = BinaryPrimitives.ReadUInt32LittleEndian(tensor.Span[offset..]);
            offset += 4;
            if (length > tensor.Length - offset)
            {
                return null;
            }

            elements.Add(tensor.Slice(offset, (int)length));
            offset += (int)length;
        }

        return elements;
    }
}

using System.Runtime.InteropServices;

namespace DryWet.Serving.Inference;

/// <summary>
/// Gives freed native memory back to the OS. ONNX Runtime allocates a session's weights and arena with malloc; after a
/// replaced session is disposed glibc keeps those pages in its heaps, so without a trim every reload ratchets the
/// resident memory up. <c>malloc_trim(0)</c> releases the free tops and free whole pages of every heap.
/// </summary>
internal static class NativeHeap
{
    private static bool s_unavailable;

    public static void Trim()
    {
        if (!OperatingSystem.IsLinux() || s_unavailable)
        {
            return;
        }

        try
        {
            _ = MallocTrim(0);
        }
        catch (Exception ex) when (ex is EntryPointNotFoundException or DllNotFoundException)
        {
            s_unavailable = true; // not glibc (musl): nothing to trim with
        }
    }

    // DllImport, not LibraryImport: the signature is blittable, so no marshalling stub (and no unsafe code) is needed.
#pragma warning disable SYSLIB1054
    [DllImport("libc", EntryPoint = "malloc_trim")]
    private static extern int MallocTrim(nuint pad);
#pragma warning restore SYSLIB1054
}

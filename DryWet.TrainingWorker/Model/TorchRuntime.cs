using System.Text;
using DryWet.Core;
using TorchSharp;

namespace DryWet.TrainingWorker.Model;

/// <summary>
/// Loads TorchSharp's native libraries up front, so that a system whose libstdc++ is too old (Debian 12) gets one
/// sentence with the fix instead of a TypeInitializationException deep inside the first tensor operation.
/// </summary>
public static class TorchRuntime
{
    /// <summary>The libstdc++ symbol version libLibTorchSharp.so 0.107 needs (std::ios_base_library_init).</summary>
    public const string RequiredGlibcxx = "GLIBCXX_3.4.32";

    private static readonly Lock Gate = new();
    private static bool loaded;

    /// <summary>
    /// Makes sure libtorch and LibTorchSharp are loaded (idempotent, thread-safe).
    /// Throws <see cref="DryWetException"/> with the fix when they cannot be.
    /// </summary>
    public static void EnsureLoaded()
    {
        lock (Gate)
        {
            if (loaded)
            {
                return;
            }

            try
            {
                // The first call into torch runs its static constructor, which loads the native backend.
                torch.InitializeDeviceType(DeviceType.CPU);
                using var probe = torch.zeros(1);
            }
            catch (Exception ex) when (ex is TypeInitializationException or DllNotFoundException or NotSupportedException
                                           or BadImageFormatException or EntryPointNotFoundException)
            {
                throw new DryWetException(Explain(ex), ex);
            }

            loaded = true;
        }
    }

    private static string Explain(Exception ex)
    {
        if (SystemLibstdcxxLacksRequiredVersion())
        {
            return "TorchSharp's native library could not be loaded: this system's libstdc++ lacks " + RequiredGlibcxx +
                   " (e.g. Debian 12). Run the trainer through ./eng/trainer.sh, or start it with the dotnet host that" +
                   " eng/torchsharp-compat.sh prints: \"$(eng/torchsharp-compat.sh)\" DryWet.TrainingWorker.dll ...";
        }

        var root = ex;
        while (root.InnerException is not null)
        {
            root = root.InnerException;
        }

        return "TorchSharp's native library could not be loaded (" + root.Message.Trim() + "). Check that the build" +
               " restored TorchSharp-cpu (or TorchSharp-cuda-linux) for linux-x64, or run the trainer through ./eng/trainer.sh.";
    }

    /// <summary>True when the libstdc++.so.6 the loader would pick exists and does not export the required version.</summary>
    private static bool SystemLibstdcxxLacksRequiredVersion()
    {
        string[] candidates =
        [
            "/usr/lib/x86_64-linux-gnu/libstdc++.so.6", "/lib/x86_64-linux-gnu/libstdc++.so.6",
            "/usr/lib64/libstdc++.so.6", "/usr/lib/aarch64-linux-gnu/libstdc++.so.6",
        ];
        var library = candidates.FirstOrDefault(File.Exists);
        if (library is null)
        {
            return false;
        }

        try
        {
            var needle = Encoding.ASCII.GetBytes(RequiredGlibcxx + "\0");
            return File.ReadAllBytes(library).AsSpan().IndexOf(needle) < 0;
        }
        catch (IOException)
        {
            return false;
        }
        catch (UnauthorizedAccessException)
        {
            return false;
        }
    }
}

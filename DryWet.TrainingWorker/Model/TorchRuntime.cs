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

            // Checked before touching torch: a failed load makes TorchSharp print a long trace and copy ~480 MB of
            // libtorch into bin/…/cpu while probing fallbacks, all for an answer known from the loaded libstdc++.
            if (LoadedLibstdcxxLacksRequiredVersion() is { } libstdcxx)
            {
                throw new TorchUnavailableException(OldLibstdcxxMessage(libstdcxx));
            }

            // Before libtorch (and with it libgomp) is loaded: idle OpenMP threads sleep instead of spinning.
            OpenMpWaitPolicy.Apply();

            // When the load fails TorchSharp writes a long diagnostic trace to stdout; keep it out of the user's
            // console (it is in the inner exception) and replay it only if the load worked after all.
            var console = Console.Out;
            var trace = new StringWriter();
            Console.SetOut(trace);
            try
            {
                // The first call into torch runs its static constructor, which loads the native backend.
                torch.InitializeDeviceType(DeviceType.CPU);
                using var probe = torch.zeros(1);
            }
            catch (Exception ex) when (ex is TypeInitializationException or DllNotFoundException or NotSupportedException
                                           or BadImageFormatException or EntryPointNotFoundException)
            {
                throw new TorchUnavailableException(Explain(ex), ex);
            }
            finally
            {
                Console.SetOut(console);
            }

            console.Write(trace.ToString());

            loaded = true;
        }
    }

    /// <summary>"TorchSharp 0.107.0, libtorch CPU, 2 threads" (loads the runtime first).</summary>
    public static string Describe()
    {
        EnsureLoaded();
        var version = typeof(torch).Assembly.GetName().Version;
        var device = torch.cuda.is_available() ? $"CUDA ({torch.cuda.device_count()} device(s))" : "CPU";
        return $"TorchSharp {version?.ToString(3)}, libtorch {device}, {torch.get_num_threads()} threads";
    }

    private static string OldLibstdcxxMessage(string libstdcxx) =>
        $"TorchSharp's native library cannot be loaded: this process uses {libstdcxx}, which lacks {RequiredGlibcxx}" +
        " (e.g. Debian 12). Run the trainer through ./eng/trainer.sh, or start it with the dotnet host that" +
        " eng/torchsharp-compat.sh prints: \"$(eng/torchsharp-compat.sh)\" DryWet.TrainingWorker.dll ...";

    private static string Explain(Exception ex)
    {
        var root = ex;
        while (root.InnerException is not null)
        {
            root = root.InnerException;
        }

        var firstLine = root.Message.Trim().Split('\n')[0].Trim();
        return $"TorchSharp's native library could not be loaded ({firstLine}). Check that the build restored" +
               " TorchSharp-cpu (or TorchSharp-cuda-linux) for linux-x64, or run the trainer through ./eng/trainer.sh.";
    }

    /// <summary>
    /// The path of the libstdc++ this process has loaded (the dotnet host links it) when that file does not export
    /// <see cref="RequiredGlibcxx"/>; null when it does, or when that cannot be told (not Linux, unreadable maps).
    /// </summary>
    internal static string? LoadedLibstdcxxLacksRequiredVersion()
    {
        if (!OperatingSystem.IsLinux())
        {
            return null;
        }

        try
        {
            var library = File.ReadLines("/proc/self/maps")
                .Select(line => line.Split(' ', StringSplitOptions.RemoveEmptyEntries))
                .Where(fields => fields.Length >= 6 && Path.GetFileName(fields[^1]).StartsWith("libstdc++.so.6", StringComparison.Ordinal))
                .Select(fields => fields[^1])
                .FirstOrDefault();
            if (library is null || !File.Exists(library))
            {
                return null;
            }

            var needle = Encoding.ASCII.GetBytes(RequiredGlibcxx + "\0");
            return File.ReadAllBytes(library).AsSpan().IndexOf(needle) < 0 ? library : null;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }
}

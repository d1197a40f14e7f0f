namespace DryWet.Tests.Training;

/// <summary>
/// The CPU kernel sets the learning tests train under, as environment variables of the spawned trainer. libtorch picks
/// its vectorised kernels (and oneDNN its instruction set) from the CPU at start: AVX-512 machines run other kernels
/// than AVX2 ones, so the same seeded run gives other numbers there. <see cref="Default"/> is what the machine picks;
/// <see cref="Avx2"/> pins AVX2, which every x86-64 CPU of the last decade has. On an AVX2-only machine the two are the
/// same kernels; on an AVX-512 one (where issue 21 measured 0.85 on fresh images) they differ.
/// </summary>
public static class CpuKernels
{
    public const string Default = "default";
    public const string Avx2 = "avx2";

    /// <summary>The variables that choose the kernels; each set says every one of them (unset = libtorch's own pick).</summary>
    private static readonly string[] Variables = ["ATEN_CPU_CAPABILITY", "ONEDNN_MAX_CPU_ISA"];

    /// <summary>Sets the kernel set's variables on <paramref name="environment"/> and removes the others it names.</summary>
    public static void Apply(string kernels, IDictionary<string, string?> environment)
    {
        foreach (var variable in Variables)
        {
            environment.Remove(variable);
        }

        foreach (var (variable, value) in Environment(kernels))
        {
            environment[variable] = value;
        }
    }

    /// <summary>
    /// The kernels a set really runs on this CPU. Where AVX2 is the best the CPU has (AVX2 and FMA, no AVX-512, AVX-VNNI or
    /// AMX), libtorch's own pick is AVX2 and so is oneDNN's: <see cref="Default"/> is <see cref="Avx2"/>, and a seeded run
    /// gives the same numbers under both (docs/training.md). On any other CPU each set is its own.
    /// </summary>
    public static string Effective(string kernels)
    {
        _ = Environment(kernels); // an unknown set is an error here too
        return kernels == Default && BestIsAvx2.Value ? Avx2 : kernels;
    }

    private static readonly Lazy<bool> BestIsAvx2 = new(() =>
    {
        if (System.Runtime.InteropServices.RuntimeInformation.ProcessArchitecture != System.Runtime.InteropServices.Architecture.X64
            || !File.Exists("/proc/cpuinfo"))
        {
            return false;
        }

        var flags = File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("flags", StringComparison.Ordinal))?
            .Split(':', 2)[1].Split(' ', StringSplitOptions.RemoveEmptyEntries) ?? [];
        return flags.Contains("avx2") && flags.Contains("fma")
            && !flags.Any(f => f.StartsWith("avx512", StringComparison.Ordinal) || f.StartsWith("avx_vnni", StringComparison.Ordinal)
                || f.StartsWith("amx", StringComparison.Ordinal));
    });

    public static IReadOnlyDictionary<string, string> Environment(string kernels) => kernels switch
    {
        Default => new Dictionary<string, string>(),
        Avx2 => new Dictionary<string, string> { ["ATEN_CPU_CAPABILITY"] = "avx2", ["ONEDNN_MAX_CPU_ISA"] = "AVX2" },
        _ => throw new ArgumentOutOfRangeException(nameof(kernels), kernels, "a kernel set: default or avx2"),
    };
}

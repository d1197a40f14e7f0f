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

    public static IReadOnlyDictionary<string, string> Environment(string kernels) => kernels switch
    {
        Default => new Dictionary<string, string>(),
        Avx2 => new Dictionary<string, string> { ["ATEN_CPU_CAPABILITY"] = "avx2", ["ONEDNN_MAX_CPU_ISA"] = "AVX2" },
        _ => throw new ArgumentOutOfRangeException(nameof(kernels), kernels, "a kernel set: default or avx2"),
    };
}

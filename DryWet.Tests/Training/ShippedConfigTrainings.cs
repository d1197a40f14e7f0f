using System.Collections.Concurrent;
using DryWet.Tests.Storage;

namespace DryWet.Tests.Training;

/// <summary>
/// The shipped-config trainings of <see cref="TrainerCliTests"/>' learning theory, one per data seed and kernels really
/// run (<see cref="CpuKernels.Effective"/>): where the default kernels are the pinned AVX2 ones (a CPU whose best is
/// AVX2), the two rows of a seed are the same seeded run on the same kernels, so it is trained once and each row asserts
/// on it; on any other CPU every row trains. Also the class's trainer home (<see cref="Home"/>). The packages and the
/// home are deleted when the class is done.
/// </summary>
public sealed class ShippedConfigTrainings : IDisposable
{
    private readonly string _root = TestFolders.NewTempDirectory("cli-shipped");
    private readonly ConcurrentDictionary<(int DataSeed, string Kernels), Lazy<Task<(int ExitCode, string Output, string Error, string Package, string Kernels)>>> _runs = new();

    public ShippedConfigTrainings() => Directory.CreateDirectory(Home);

    /// <summary>The DryWet home every trainer process of <see cref="TrainerCliTests"/> runs with (never the developer's ~/.drywet).</summary>
    public string Home => Path.Combine(_root, "home");

    /// <summary>
    /// The run for <paramref name="dataSeed"/> under <paramref name="kernels"/>; <paramref name="train"/> (given the
    /// run's own empty folder and the kernels to train under) runs only for the first row that needs it; the result
    /// names the kernels it was trained under.
    /// </summary>
    public Task<(int ExitCode, string Output, string Error, string Package, string Kernels)> GetAsync(int dataSeed, string kernels,
        Func<string, string, Task<(int ExitCode, string Output, string Error, string Package, string Kernels)>> train) =>
        _runs.GetOrAdd((dataSeed, CpuKernels.Effective(kernels)), key => new(() =>
        {
            var folder = Path.Combine(_root, $"seed-{key.DataSeed}-{key.Kernels}");
            Directory.CreateDirectory(folder);
            return train(folder, kernels);
        })).Value;

    public void Dispose() => TestFolders.DeleteQuietly(_root);
}

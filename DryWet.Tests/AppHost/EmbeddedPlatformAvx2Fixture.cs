using DryWet.Tests.Training;

namespace DryWet.Tests.AppHost;

/// <summary>The embedded AppHost with its training watcher on pinned AVX2 kernels (ATEN_CPU_CAPABILITY, ONEDNN_MAX_CPU_ISA).</summary>
public sealed class EmbeddedPlatformAvx2Fixture : EmbeddedPlatformFixture
{
    protected override string Kernels => CpuKernels.Avx2;
}

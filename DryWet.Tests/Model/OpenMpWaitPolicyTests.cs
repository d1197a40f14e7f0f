using System.Runtime.InteropServices;
using DryWet.TrainingWorker.Model;

namespace DryWet.Tests.Model;

/// <summary>
/// Loading libtorch leaves OMP_WAIT_POLICY and GOMP_SPINCOUNT in the C environment libgomp reads (PASSIVE with a
/// 1000-iteration spin unless the user chose a policy; a spin count the user chose is kept).
/// </summary>
[Collection(nameof(TorchSharp))]
public class OpenMpWaitPolicyTests
{
    [Fact]
    public void Loading_torch_sets_a_wait_policy_and_a_short_spin_in_the_native_environment_and_keeps_chosen_ones()
    {
        var policyBefore = Environment.GetEnvironmentVariable(OpenMpWaitPolicy.Variable);
        var spinBefore = Environment.GetEnvironmentVariable(OpenMpWaitPolicy.SpinCountVariable);

        TorchRuntime.EnsureLoaded();

        var policy = NativeVariable(OpenMpWaitPolicy.Variable);
        var spin = NativeVariable(OpenMpWaitPolicy.SpinCountVariable);
        if (string.IsNullOrEmpty(policyBefore))
        {
            policy.ShouldBe(OpenMpWaitPolicy.Default);
            spin.ShouldBe(string.IsNullOrEmpty(spinBefore) ? OpenMpWaitPolicy.DefaultSpinCount : spinBefore);
        }
        else
        {
            // The user's policy stands, and no spin count is added to it (GOMP_SPINCOUNT would override the policy's).
            policy.ShouldBe(policyBefore);
            spin.ShouldBe(string.IsNullOrEmpty(spinBefore) ? null : spinBefore);
        }

        OpenMpWaitPolicy.Apply().ShouldBe(policy);
    }

    private static string? NativeVariable(string name) => Marshal.PtrToStringUTF8(GetEnv(name));

    [DllImport("libc", EntryPoint = "getenv")]
    private static extern IntPtr GetEnv([MarshalAs(UnmanagedType.LPUTF8Str)] string name);
}

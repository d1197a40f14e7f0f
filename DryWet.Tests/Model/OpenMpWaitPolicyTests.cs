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
        // What the process was started with (/proc/self/environ is the environment at exec; setenv does not change
        // it), so an earlier test that loaded libtorch cannot make the code's own values look like the user's.
        var started = StartEnvironment();
        var policyBefore = started.GetValueOrDefault("OMP_WAIT_POLICY");
        var spinBefore = started.GetValueOrDefault("GOMP_SPINCOUNT");

        TorchRuntime.EnsureLoaded();

        var policy = NativeVariable("OMP_WAIT_POLICY");
        var spin = NativeVariable("GOMP_SPINCOUNT");
        if (string.IsNullOrEmpty(policyBefore))
        {
            // The documented defaults (docs/training.md), spelt here: not the code's constants compared with themselves.
            policy.ShouldBe("PASSIVE");
            spin.ShouldBe(string.IsNullOrEmpty(spinBefore) ? "1000" : spinBefore);
            OpenMpWaitPolicy.Apply().ShouldBe("PASSIVE");
        }
        else
        {
            // The user's policy stands, and no spin count is added to it (GOMP_SPINCOUNT would override the policy's).
            policy.ShouldBe(policyBefore);
            spin.ShouldBe(string.IsNullOrEmpty(spinBefore) ? null : spinBefore);
            OpenMpWaitPolicy.Apply().ShouldBe(policyBefore);
        }
    }

    private static Dictionary<string, string> StartEnvironment() =>
        File.ReadAllText("/proc/self/environ").Split('\0', StringSplitOptions.RemoveEmptyEntries)
            .Select(entry => entry.Split('=', 2))
            .Where(pair => pair.Length == 2)
            .GroupBy(pair => pair[0], StringComparer.Ordinal)
            .ToDictionary(g => g.Key, g => g.First()[1], StringComparer.Ordinal);

    private static string? NativeVariable(string name) => Marshal.PtrToStringUTF8(GetEnv(name));

    [DllImport("libc", EntryPoint = "getenv")]
    private static extern IntPtr GetEnv([MarshalAs(UnmanagedType.LPUTF8Str)] string name);
}

using System.Runtime.InteropServices;
using DryWet.TrainingWorker.Model;

namespace DryWet.Tests.Model;

/// <summary>Loading libtorch leaves OMP_WAIT_POLICY in the C environment libgomp reads (PASSIVE unless the user chose one).</summary>
[Collection(nameof(TorchSharp))]
public class OpenMpWaitPolicyTests
{
    [Fact]
    public void Loading_torch_sets_a_wait_policy_in_the_native_environment_and_keeps_a_chosen_one()
    {
        var before = Environment.GetEnvironmentVariable(OpenMpWaitPolicy.Variable);

        TorchRuntime.EnsureLoaded();

        var native = Marshal.PtrToStringUTF8(GetEnv(OpenMpWaitPolicy.Variable));
        native.ShouldBe(string.IsNullOrEmpty(before) ? OpenMpWaitPolicy.Default : before);
        OpenMpWaitPolicy.Apply().ShouldBe(native);
    }

    [DllImport("libc", EntryPoint = "getenv")]
    private static extern IntPtr GetEnv([MarshalAs(UnmanagedType.LPUTF8Str)] string name);
}

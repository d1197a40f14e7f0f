using System.Runtime.InteropServices;

namespace DryWet.TrainingWorker.Model;

/// <summary>
/// libtorch's CPU kernels run on libgomp. Left alone, libgomp's idle threads spin for about 3 ms before they sleep
/// (300,000 iterations); with OMP_WAIT_POLICY=ACTIVE, for minutes. On a machine where anything else runs — serving, the
/// dashboard, a build — the spinning threads and the working ones fight for the cores: on this project's 2-core box
/// at load 33 the tiny model trained at 1.6–2.6 img/s spinning and 31–36 img/s with PASSIVE. But PASSIVE with no spin
/// at all (libgomp's PASSIVE default) costs every parallel region a futex wake-up, and a training step runs thousands
/// of them: on the idle box B3 at 224 px lost a quarter of its speed (AdamW alone took 3× as long). So the trainer asks
/// for PASSIVE with a short spin — GOMP_SPINCOUNT=1000, about 10 µs — which keeps the idle speed and nearly all of the
/// loaded one (docs/training.md has the measurements), unless the user chose a policy or a spin count. libgomp reads
/// the variables once, when it is loaded, and reads the process's C environment — which .NET's
/// Environment.SetEnvironmentVariable does not change on Unix — hence setenv(3), before libtorch loads.
/// </summary>
internal static class OpenMpWaitPolicy
{
    public const string Variable = "OMP_WAIT_POLICY";
    public const string Default = "PASSIVE";
    public const string SpinCountVariable = "GOMP_SPINCOUNT";
    public const string DefaultSpinCount = "1000";

    /// <summary>
    /// Sets OMP_WAIT_POLICY=PASSIVE and GOMP_SPINCOUNT=1000 in the C environment when the user set no policy (a spin
    /// count the user set is kept); returns the policy in effect.
    /// </summary>
    public static string Apply()
    {
        if (Environment.GetEnvironmentVariable(Variable) is { Length: > 0 } chosen)
        {
            return chosen;
        }

        Set(Variable, Default);
        if (Environment.GetEnvironmentVariable(SpinCountVariable) is not { Length: > 0 })
        {
            Set(SpinCountVariable, DefaultSpinCount);
        }

        return Default;
    }

    private static void Set(string name, string value)
    {
        if (OperatingSystem.IsLinux() || OperatingSystem.IsMacOS())
        {
            _ = SetEnv(name, value, overwrite: 0);
        }

        Environment.SetEnvironmentVariable(name, value);
    }

    [DllImport("libc", EntryPoint = "setenv")]
    private static extern int SetEnv([MarshalAs(UnmanagedType.LPUTF8Str)] string name, [MarshalAs(UnmanagedType.LPUTF8Str)] string value, int overwrite);
}

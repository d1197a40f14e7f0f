using System.Runtime.InteropServices;

namespace DryWet.TrainingWorker.Model;

/// <summary>
/// libtorch's CPU kernels run on libgomp, whose idle threads spin (OMP_WAIT_POLICY=ACTIVE) by default. On a machine
/// where anything else runs — serving, the dashboard, a build — the spinning threads and the working ones fight for
/// the cores: measured on this project's 2-core box at load 33, the tiny model trained at 1.6–2.6 img/s spinning and
/// 31–36 img/s with PASSIVE, with identical losses (docs/training.md). So the trainer asks for PASSIVE unless the user
/// chose a policy. libgomp reads the variable once, when it is loaded, and reads the process's C environment — which
/// .NET's Environment.SetEnvironmentVariable does not change on Unix — hence setenv(3), before libtorch loads.
/// </summary>
internal static class OpenMpWaitPolicy
{
    public const string Variable = "OMP_WAIT_POLICY";
    public const string Default = "PASSIVE";

    /// <summary>Sets OMP_WAIT_POLICY=PASSIVE in the C environment when it is unset; returns the policy in effect.</summary>
    public static string Apply()
    {
        if (Environment.GetEnvironmentVariable(Variable) is { Length: > 0 } chosen)
        {
            return chosen;
        }

        if (OperatingSystem.IsLinux() || OperatingSystem.IsMacOS())
        {
            _ = SetEnv(Variable, Default, overwrite: 0);
        }

        Environment.SetEnvironmentVariable(Variable, Default);
        return Default;
    }

    [DllImport("libc", EntryPoint = "setenv")]
    private static extern int SetEnv([MarshalAs(UnmanagedType.LPUTF8Str)] string name, [MarshalAs(UnmanagedType.LPUTF8Str)] string value, int overwrite);
}

using System.Runtime.InteropServices;

namespace DryWet.Serving.Shadow;

/// <summary>
/// Lowers the calling thread's CPU priority, so the OS runs it only on cores live work leaves free. On Linux, where
/// .NET ignores <see cref="Thread.Priority"/>, the thread's nice value is raised to 19 (a thread is its own schedulable
/// task; raising nice needs no privilege): against a nice-0 thread it gets about 1.5 % of a contended core.
/// </summary>
internal static class LowPriorityThread
{
    private const int PrioProcess = 0;
    private const int LowestNice = 19;

    /// <summary>Lowers the calling thread; returns how ("nice 19", "ThreadPriority.Lowest") for the log.</summary>
    public static string LowerCurrent()
    {
        Thread.CurrentThread.Priority = ThreadPriority.Lowest;
        if (!OperatingSystem.IsLinux())
        {
            return "ThreadPriority.Lowest";
        }

        try
        {
            return SetPriority(PrioProcess, GetTid(), LowestNice) == 0 ? "nice 19" : $"normal (setpriority failed: errno {Marshal.GetLastPInvokeError()})";
        }
        catch (Exception ex) when (ex is EntryPointNotFoundException or DllNotFoundException)
        {
            return "normal (no gettid/setpriority in this libc)";
        }
    }

    // DllImport, not LibraryImport: blittable signatures need no marshalling stub (as NativeHeap).
#pragma warning disable SYSLIB1054
    [DllImport("libc", EntryPoint = "gettid")]
    private static extern int GetTid();

    [DllImport("libc", EntryPoint = "setpriority", SetLastError = true)]
    private static extern int SetPriority(int which, int who, int priority);
#pragma warning restore SYSLIB1054
}

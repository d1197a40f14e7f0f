using System.Runtime.InteropServices;

namespace DryWet.TrainingWorker.Platform;

/// <summary>
/// The one source of the trainer's cancellation: the first SIGINT (Ctrl+C) or SIGTERM (a pod or a Kubeflow step being
/// stopped) cancels <see cref="Token"/>, which every command passes down (training stops at the next batch, the
/// watcher at once); the command then ends its tracked run KILLED, removes its scratch folders and exits 130
/// (<c>CommandErrors</c>). A second signal is left to the operating system: the process ends at once.
/// A process started with SIGINT ignored (a background job of a script) keeps ignoring it, as POSIX expects.
/// </summary>
internal sealed class TerminationSignals : IDisposable
{
    private readonly CancellationTokenSource _cancellation = new();
    private readonly TextWriter _log;
    private readonly PosixSignalRegistration[] _registrations;
    private int _received;

    private TerminationSignals(TextWriter log)
    {
        _log = log;
        _registrations = [PosixSignalRegistration.Create(PosixSignal.SIGINT, OnSignal), PosixSignalRegistration.Create(PosixSignal.SIGTERM, OnSignal)];
    }

    public CancellationToken Token => _cancellation.Token;

    /// <summary>Starts listening; <paramref name="log"/> gets one line when a signal arrives (stderr: stdout is the command's output).</summary>
    public static TerminationSignals Listen(TextWriter log) => new(log);

    public void Dispose()
    {
        // The token source stays: a cancellation may still be running its callbacks.
        foreach (var registration in _registrations)
        {
            registration.Dispose();
        }
    }

    private void OnSignal(PosixSignalContext context)
    {
        if (Interlocked.Increment(ref _received) > 1)
        {
            return; // the default action: terminate now
        }

        context.Cancel = true;
        _log.WriteLine($"{context.Signal} received: stopping (a training run ends KILLED, scratch folders are removed). Send it again to stop at once.");
        // Callbacks and continuations on the pool, not on the runtime's signal thread.
        _ = _cancellation.CancelAsync();
    }
}

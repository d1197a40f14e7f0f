using System.Runtime.InteropServices;

namespace DryWet.TrainingWorker.Platform;

/// <summary>
/// The one source of the trainer's cancellation: the first SIGINT (Ctrl+C) or SIGTERM (a pod or a Kubeflow step being
/// stopped) cancels <see cref="Token"/>, which every command passes down (training stops at the next batch, the
/// watcher at once); the command then ends its tracked run KILLED, removes its scratch folders and exits 130
/// (<c>CommandErrors</c>). A second signal is left to the operating system: the process ends at once.
/// A process started with SIGINT ignored (a background job of a script) keeps ignoring it, as POSIX expects.
/// <para>
/// While a step that must not be split runs (<see cref="HoldAsync"/>: a training run's commit — package published, version
/// registered, aliased as the gate decided), the token still cancels on the first signal, but that step runs on to
/// its end, and every further signal is held rather than ending the process half-way; the line on stderr says so.
/// SIGKILL, which no process can hold, is the only way to split it.
/// </para>
/// </summary>
internal sealed class TerminationSignals : IDisposable
{
    private static readonly Lock Gate = new();
    private static int _holds;
    private static string _holdingStep = "";
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

    /// <summary>
    /// Runs <paramref name="action"/> as <paramref name="step"/> (e.g. "registering and promoting the model"), one that a
    /// signal must not split: cancelled before it starts, it throws and nothing runs; once started, signals are held (see
    /// the remarks) and <paramref name="action"/> should not be handed the token. The check and the start are one step
    /// against the signal handler, so the line a signal prints always matches what happens.
    /// </summary>
    public static async Task<T> HoldAsync<T>(string step, Func<Task<T>> action, CancellationToken cancellationToken)
    {
        lock (Gate)
        {
            cancellationToken.ThrowIfCancellationRequested();
            _holdingStep = step;
            _holds++;
        }

        try
        {
            return await action();
        }
        finally
        {
            lock (Gate)
            {
                _holds--;
            }
        }
    }

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
        lock (Gate)
        {
            var holding = _holds > 0 ? _holdingStep : null;
            if (++_received > 1)
            {
                if (holding is not null)
                {
                    context.Cancel = true;
                    _log.WriteLine($"{context.Signal} received again while {holding}: held, so that it is not left half done; the command ends as soon as it is.");
                }

                return; // otherwise the default action: terminate now
            }

            context.Cancel = true;
            _log.WriteLine(holding is null
                ? $"{context.Signal} received: stopping (a training run ends KILLED, scratch folders are removed). Send it again to stop at once."
                : $"{context.Signal} received while {holding}: it is past the promotion gate's decision, so it finishes first (a few seconds), then the command ends.");
            // Marked cancelled now (inside the gate: HoldAsync sees it); callbacks and continuations run on the pool, not
            // on the runtime's signal thread.
            _ = _cancellation.CancelAsync();
        }
    }
}

using System.Diagnostics;
using System.Text;

namespace DryWet.Tests.Storage;

/// <summary>
/// The trainer CLI (<see cref="TrainerProcess"/>) left running, for tests that act on it while it works: wait for a
/// line of its output, send it a real signal with <c>kill</c>, wait for its exit. Disposing kills what is still running.
/// </summary>
internal sealed class RunningTrainer : IDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _stdout = new();
    private readonly StringBuilder _stderr = new();
    private readonly object _lock = new();

    private RunningTrainer(Process process)
    {
        _process = process;
        _process.OutputDataReceived += (_, e) => Append(_stdout, e.Data);
        _process.ErrorDataReceived += (_, e) => Append(_stderr, e.Data);
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
    }

    public int Id => _process.Id;

    public string StdOut
    {
        get
        {
            lock (_lock)
            {
                return _stdout.ToString();
            }
        }
    }

    public string StdErr
    {
        get
        {
            lock (_lock)
            {
                return _stderr.ToString();
            }
        }
    }

    /// <summary>
    /// Starts the trainer with SIGINT at its default action: a test host started as a background job of a script
    /// (SIGINT ignored, which children inherit) must still be able to test Ctrl+C.
    /// </summary>
    public static RunningTrainer Start(IReadOnlyDictionary<string, string> environment, params string[] args) =>
        new(Process.Start(TrainerProcess.StartInfo(environment, args, "env", "--default-signal=INT"))!);

    /// <summary>Waits until stdout or stderr contains <paramref name="text"/>; fails with both streams when the process exits first or <paramref name="limit"/> passes.</summary>
    public async Task WaitForOutputAsync(string text, TimeSpan limit, CancellationToken cancellationToken)
    {
        var deadline = Stopwatch.StartNew();
        while (!StdOut.Contains(text, StringComparison.Ordinal) && !StdErr.Contains(text, StringComparison.Ordinal))
        {
            if (_process.HasExited || deadline.Elapsed > limit)
            {
                throw new ShouldAssertException($"'{text}' never appeared ({(_process.HasExited ? $"exited {_process.ExitCode}" : $"still running after {limit}")}).\nstdout:\n{StdOut}\nstderr:\n{StdErr}");
            }

            await Task.Delay(100, cancellationToken);
        }
    }

    /// <summary>Sends <paramref name="signal"/> (INT, TERM) with the <c>kill</c> command, as a terminal or a pod stop would.</summary>
    public async Task SignalAsync(string signal, CancellationToken cancellationToken)
    {
        using var kill = Process.Start(new ProcessStartInfo("kill") { ArgumentList = { "-s", signal, Id.ToString(System.Globalization.CultureInfo.InvariantCulture) } })!;
        await kill.WaitForExitAsync(cancellationToken);
        kill.ExitCode.ShouldBe(0, $"kill -s {signal} {Id}");
    }

    /// <summary>The exit code, or null when the process is still running after <paramref name="limit"/>.</summary>
    public async Task<int?> WaitForExitAsync(TimeSpan limit, CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(limit);
        try
        {
            await _process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return null;
        }

        _process.WaitForExit(); // the redirected streams are read to their end
        return _process.ExitCode;
    }

    public void Dispose()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            _process.WaitForExit();
        }

        _process.Dispose();
    }

    private void Append(StringBuilder buffer, string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_lock)
        {
            buffer.AppendLine(line);
        }
    }
}

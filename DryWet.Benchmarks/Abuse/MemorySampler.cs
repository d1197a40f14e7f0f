namespace DryWet.Benchmarks.Abuse;

/// <summary>
/// Resident memory of a child process over one scenario: VmRSS at the start and end, and the peak (VmHWM, reset at
/// the start where the kernel allows it, and the largest VmRSS sampled every 100 ms).
/// </summary>
internal sealed class MemorySampler : IAsyncDisposable
{
    private readonly ServiceProcess _process;
    private readonly CancellationTokenSource _stop = new();
    private readonly double _startMb;
    private readonly bool _peakReset;
    private readonly Task _loop;
    private double _sampledPeakMb;

    private MemorySampler(ServiceProcess process)
    {
        _process = process;
        _peakReset = process.ResetPeak();
        _startMb = process.ResidentMegabytes();
        _sampledPeakMb = _startMb;
        _loop = Task.Run(LoopAsync);
    }

    public static MemorySampler Start(ServiceProcess process) => new(process);

    private async Task LoopAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            var rss = _process.ResidentMegabytes();
            if (rss > _sampledPeakMb)
            {
                _sampledPeakMb = rss;
            }

            try
            {
                await Task.Delay(100, _stop.Token);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    public async Task<MemoryReport> StopAsync()
    {
        await _stop.CancelAsync();
        await _loop;
        var end = _process.ResidentMegabytes();
        var peak = Math.Max(Math.Max(_sampledPeakMb, end), _peakReset ? _process.PeakResidentMegabytes() : 0);
        return new MemoryReport(Math.Round(_startMb, 1), Math.Round(peak, 1), Math.Round(end, 1), _peakReset ? "VmHWM" : "sampled VmRSS");
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        await _loop;
        _stop.Dispose();
    }
}

using System.Globalization;

namespace DryWet.Core.Tracking;

/// <summary>
/// Reads the machine's load the way MLflow's system-metrics monitor reports it (mlflow/system_metrics/metrics: the
/// CPU, disk and network monitors; names get the <c>system/</c> prefix). Linux <c>/proc</c> only for CPU, memory and
/// network — elsewhere those are left out; disk usage works everywhere. Megabytes are 10^6 bytes, as MLflow's.
/// </summary>
public sealed class SystemMetricsReader(string procRoot = "/proc", string diskRoot = "/")
{
    private (long Busy, long Total)? _previousCpu;
    private (long Received, long Transmitted)? _networkAtStart;

    public IReadOnlyDictionary<string, double> Read()
    {
        var metrics = new Dictionary<string, double>();
        ReadCpu(metrics);
        ReadMemory(metrics);
        ReadDisk(metrics);
        ReadNetwork(metrics);
        return metrics;
    }

    private void ReadCpu(Dictionary<string, double> metrics)
    {
        // First line of /proc/stat: "cpu user nice system idle iowait irq softirq steal ..." in clock ticks since boot.
        var line = FirstLine(Path.Combine(procRoot, "stat"));
        if (line is null || !line.StartsWith("cpu ", StringComparison.Ordinal))
        {
            return;
        }

        var ticks = line.Split(' ', StringSplitOptions.RemoveEmptyEntries).Skip(1).Take(8)
            .Select(v => long.Parse(v, CultureInfo.InvariantCulture)).ToArray();
        var idle = ticks[3] + (ticks.Length > 4 ? ticks[4] : 0);
        var total = ticks.Sum();
        var previous = _previousCpu ?? (0, 0);
        _previousCpu = (total - idle, total);
        var totalDelta = total - previous.Total;
        if (totalDelta > 0)
        {
            // The share of busy ticks since the previous reading (the monitor takes a baseline reading first).
            metrics["cpu_utilization_percentage"] = Math.Round(100.0 * (total - idle - previous.Busy) / totalDelta, 1);
        }
    }

    private void ReadMemory(Dictionary<string, double> metrics)
    {
        var file = Path.Combine(procRoot, "meminfo");
        if (!File.Exists(file))
        {
            return;
        }

        var kb = File.ReadLines(file).Select(l => l.Split(':', 2)).Where(p => p.Length == 2)
            .ToDictionary(p => p[0], p => long.TryParse(p[1].Trim().Split(' ')[0], CultureInfo.InvariantCulture, out var v) ? v : 0);
        if (kb.TryGetValue("MemTotal", out var totalKb) && totalKb > 0 && kb.TryGetValue("MemAvailable", out var availableKb))
        {
            var usedKb = totalKb - availableKb;
            metrics["system_memory_usage_megabytes"] = Math.Round(usedKb * 1024 / 1e6, 1);
            metrics["system_memory_usage_percentage"] = Math.Round(100.0 * usedKb / totalKb, 1);
        }
    }

    private void ReadDisk(Dictionary<string, double> metrics)
    {
        try
        {
            var drive = new DriveInfo(diskRoot);
            var used = drive.TotalSize - drive.TotalFreeSpace;
            metrics["disk_usage_megabytes"] = Math.Round(used / 1e6, 1);
            metrics["disk_available_megabytes"] = Math.Round(drive.AvailableFreeSpace / 1e6, 1);
            metrics["disk_usage_percentage"] = drive.TotalSize == 0 ? 0 : Math.Round(100.0 * used / drive.TotalSize, 1);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or ArgumentException)
        {
            // No disk figures on this platform; the others still count.
        }
    }

    private void ReadNetwork(Dictionary<string, double> metrics)
    {
        var file = Path.Combine(procRoot, "net", "dev");
        if (!File.Exists(file))
        {
            return;
        }

        // "  eth0: rx_bytes rx_packets ... (8 receive fields) tx_bytes ...", two header lines first.
        long received = 0, transmitted = 0;
        foreach (var line in File.ReadLines(file).Skip(2))
        {
            var fields = line.Split(':', 2);
            var numbers = fields.Length == 2 ? fields[1].Split(' ', StringSplitOptions.RemoveEmptyEntries) : [];
            if (numbers.Length >= 9)
            {
                received += long.Parse(numbers[0], CultureInfo.InvariantCulture);
                transmitted += long.Parse(numbers[8], CultureInfo.InvariantCulture);
            }
        }

        // MLflow reports the traffic since the monitor started.
        var start = _networkAtStart ??= (received, transmitted);
        metrics["network_receive_megabytes"] = Math.Round((received - start.Received) / 1e6, 3);
        metrics["network_transmit_megabytes"] = Math.Round((transmitted - start.Transmitted) / 1e6, 3);
    }

    private static string? FirstLine(string path) => File.Exists(path) ? File.ReadLines(path).FirstOrDefault() : null;
}

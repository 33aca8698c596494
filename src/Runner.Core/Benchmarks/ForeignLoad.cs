namespace Runner.Core.Benchmarks;

/// <summary>
/// CPU load from other processes over a time window, in cores, as ../shared/bench/refcommon.py's
/// LoadMonitor computes it: busy CPU time of the whole machine (/proc/stat, everything but idle and
/// iowait) minus this process's own CPU time (getrusage), divided by the wall time. Zero where there
/// is no /proc/stat (the step then always counts as clean).
/// </summary>
internal readonly struct ForeignLoad
{
    private const string Stat = "/proc/stat";
    private const double TicksPerSecond = 100;  // USER_HZ: /proc/stat counts in 1/100 s on Linux

    private readonly double _busy;
    private readonly double _own;

    private ForeignLoad(double busy, double own)
    {
        _busy = busy;
        _own = own;
    }

    /// <summary>Starts a window now.</summary>
    public static ForeignLoad Start() => new(BusySeconds(), OwnSeconds());

    /// <summary>CPU seconds this process (all its threads) used since <see cref="Start"/>.</summary>
    public double OwnSecondsSince() => OwnSeconds() - _own;

    /// <summary>Foreign cores since <see cref="Start"/> over <paramref name="wallSeconds"/>.</summary>
    public double Cores(double wallSeconds)
    {
        if (wallSeconds <= 0 || _busy < 0) return 0;
        var busy = BusySeconds() - _busy;
        var own = OwnSeconds() - _own;
        return Math.Max(0, busy - own) / wallSeconds;
    }

    private static double OwnSeconds()
    {
        var usage = Environment.CpuUsage;   // getrusage(RUSAGE_SELF) on Unix: all threads
        return usage.TotalTime.TotalSeconds;
    }

    // The first line of /proc/stat: "cpu user nice system idle iowait irq softirq steal ..."
    private static double BusySeconds()
    {
        if (!OperatingSystem.IsLinux() || !File.Exists(Stat)) return -1;
        using var reader = new StreamReader(Stat);
        var fields = reader.ReadLine()!.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        long total = 0, idle = 0;
        for (var i = 1; i <= Math.Min(8, fields.Length - 1); i++)
        {
            var v = long.Parse(fields[i], System.Globalization.CultureInfo.InvariantCulture);
            total += v;
            if (i is 4 or 5) idle += v;
        }
        return (total - idle) / TicksPerSecond;
    }
}

using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Runner.Core;
using Runner.Core.Benchmarks;
using Runner.Torch;

namespace Runner.Pipeline.Estimates;

/// <summary>
/// This machine's <see cref="CalibrationFigures"/>, measured once and kept per machine in
/// <c>$XDG_CACHE_HOME/runner/calibration/</c> (else <c>~/.cache/runner/calibration/</c>), one file per key: host,
/// CPU model, cores, threads, device and the libtorch/shim fingerprint. A missing or unreadable file is measured again.
/// <c>RUNNER_CALIBRATION=FILE</c> uses that file instead and never measures (tests, CI, or a figure you trust more).
/// </summary>
/// <param name="Figures">The speeds.</param>
/// <param name="File">The file they were read from or written to.</param>
/// <param name="Measured">When they were measured.</param>
public sealed record MachineCalibration(CalibrationFigures Figures, string File, DateTimeOffset Measured)
{
    /// <summary>Names a calibration file to use instead of the per-machine one.</summary>
    public const string FileVariable = "RUNNER_CALIBRATION";

    private const string FormatName = "runner-calibration";

    /// <summary>What identifies a machine's speed: host, CPU, cores, threads, device, libtorch and shim.</summary>
    public static string Key(string environmentFingerprint, Device device) => string.Join(";",
        "host=" + Environment.MachineName, "cpu=" + CpuModel(), "cores=" + Environment.ProcessorCount.ToString(CultureInfo.InvariantCulture),
        "threads=" + TorchRuntime.Threads.ToString(CultureInfo.InvariantCulture), "device=" + device, environmentFingerprint);

    /// <summary>The per-machine file of <paramref name="key"/>.</summary>
    public static string CacheFile(string key, Func<string, string?> getEnvironment)
    {
        var root = getEnvironment("XDG_CACHE_HOME") is { Length: > 0 } xdg ? xdg
            : Path.Combine(getEnvironment("HOME") ?? Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache");
        var hash = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(key)))[..16];
        return Path.Combine(root, "runner", "calibration", hash + ".json");
    }

    /// <summary>
    /// The calibration for <paramref name="device"/>: <c>RUNNER_CALIBRATION</c>'s file, else this machine's cached one,
    /// else measured now (about 10 s; <paramref name="measuring"/> is told first) and cached.
    /// </summary>
    public static MachineCalibration LoadOrMeasure(string environmentFingerprint, Device device, Func<string, string?> getEnvironment, Action<string>? measuring = null)
    {
        if (getEnvironment(FileVariable) is { Length: > 0 } given)
            return Read(Path.GetFullPath(given)) ?? throw new RunnerException($"{FileVariable}: {given} is not a readable calibration file (write one with `runner bench calibrate`)", 2);
        var key = Key(environmentFingerprint, device);
        var file = CacheFile(key, getEnvironment);
        if (Read(file) is { } cached) return cached;
        measuring?.Invoke($"calibrating this machine for estimates (once; kept in {file})...");
        return Measure(environmentFingerprint, device, getEnvironment);
    }

    /// <summary>Measures now and replaces this machine's cached calibration.</summary>
    public static MachineCalibration Measure(string environmentFingerprint, Device device, Func<string, string?> getEnvironment)
    {
        var figures = MachineCalibrator.Measure(device);
        var key = Key(environmentFingerprint, device);
        var calibration = new MachineCalibration(figures, CacheFile(key, getEnvironment), DateTimeOffset.UtcNow);
        calibration.Write(key);
        return calibration;
    }

    /// <summary>Writes the file atomically (temp name + rename).</summary>
    public void Write(string key)
    {
        var f = Figures;
        var root = new JsonObject
        {
            ["format"] = FormatName,
            ["version"] = 1,
            ["key"] = key,
            ["measured"] = Measured.ToString("o", CultureInfo.InvariantCulture),
            ["forward_gflops"] = f.ForwardGflops,
            ["forward_seconds_per_layer"] = f.ForwardSecondsPerLayer,
            ["forward_seconds_per_element"] = f.ForwardSecondsPerElement,
            ["sae_gflops"] = f.SaeGflops,
            ["sae_seconds_per_step"] = f.SaeSecondsPerStep,
            ["bf16_speedup"] = f.Bf16Speedup,
            ["base_rss_bytes"] = f.BaseRssBytes,
            ["threads"] = f.Threads,
            ["measured_seconds"] = f.MeasuredSeconds,
        };
        Directory.CreateDirectory(Path.GetDirectoryName(File)!);
        var temp = File + $".tmp-{Guid.NewGuid():N}";
        System.IO.File.WriteAllText(temp, root.ToJsonString(new JsonSerializerOptions { WriteIndented = true }) + "\n");
        System.IO.File.Move(temp, File, overwrite: true);
    }

    /// <summary>Reads a calibration file; null when it is missing or not one.</summary>
    public static MachineCalibration? Read(string file)
    {
        try
        {
            if (JsonNode.Parse(System.IO.File.ReadAllText(file)) is not JsonObject o || (string?)o["format"] != FormatName) return null;
            var figures = new CalibrationFigures
            {
                ForwardGflops = (double)o["forward_gflops"]!,
                ForwardSecondsPerLayer = (double)o["forward_seconds_per_layer"]!,
                ForwardSecondsPerElement = (double?)o["forward_seconds_per_element"] ?? 0,
                SaeGflops = (double)o["sae_gflops"]!,
                SaeSecondsPerStep = (double)o["sae_seconds_per_step"]!,
                Bf16Speedup = (double)o["bf16_speedup"]!,
                BaseRssBytes = (long)o["base_rss_bytes"]!,
                Threads = (int)o["threads"]!,
                MeasuredSeconds = (double?)o["measured_seconds"] ?? 0,
            };
            if (figures.ForwardGflops <= 0 || figures.SaeGflops <= 0) return null;
            var measured = DateTimeOffset.Parse((string)o["measured"]!, CultureInfo.InvariantCulture);
            return new MachineCalibration(figures, file, measured);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or JsonException or FormatException or InvalidOperationException or NullReferenceException or ArgumentException)
        {
            return null;
        }
    }

    private static string CpuModel()
    {
        try
        {
            foreach (var line in System.IO.File.ReadLines("/proc/cpuinfo"))
                if (line.StartsWith("model name", StringComparison.Ordinal)) return line[(line.IndexOf(':') + 1)..].Trim();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { }
        return System.Runtime.InteropServices.RuntimeInformation.ProcessArchitecture.ToString();
    }
}

namespace Runner.Cli.GpuCheck;

/// <summary>
/// Where gpu-check finds what it runs: the committed experiments and the PyTorch reference
/// (<c>bench/torch_ref.py</c>) under Runner's home, and the test executables. Two layouts: a bundle
/// (<c>$RUNNER_BUNDLE</c>, set by its <c>bin/runner</c>: <c>tests/NAME/NAME</c>) and a source checkout
/// (the folder above <c>src/</c>: <c>tests/NAME/bin/Release/net10.0/NAME</c>).
/// </summary>
public sealed record GpuCheckLayout(string Home, bool IsBundle)
{
    /// <summary>The test assemblies whose device rows gpu-check runs, with the namespaces that hold them (null = all).</summary>
    public static readonly IReadOnlyList<(string Name, string[]? Namespaces)> TestAssemblies =
    [
        ("Runner.Torch.Tests", null),
        ("Runner.Core.Tests", ["Runner.Core.Tests.Sae", "Runner.Core.Tests.Models", "Runner.Core.Tests.Training", "Runner.Core.Tests.Steering", "Runner.Core.Tests.Generation"]),
    ];

    /// <summary>The layout of this process: the bundle named by <c>RUNNER_BUNDLE</c>, else the checkout this build lives in.</summary>
    public static GpuCheckLayout Find(Func<string, string?> env)
    {
        if (env("RUNNER_BUNDLE") is { Length: > 0 } bundle) return new GpuCheckLayout(Path.GetFullPath(bundle), IsBundle: true);
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "experiments", "golden-gate-mini.yaml")) && Directory.Exists(Path.Combine(dir.FullName, "tests")))
                return new GpuCheckLayout(dir.FullName, IsBundle: false);
        throw new Core.RunnerException(
            $"gpu-check: cannot find Runner's experiments and tests: set RUNNER_BUNDLE to an unpacked bundle (bin/runner does), or run it from a source checkout (looked above {AppContext.BaseDirectory})",
            ExitCodes.Usage);
    }

    /// <summary>A committed experiment spec.</summary>
    public string Experiment(string file) => Path.Combine(Home, "experiments", file);

    /// <summary>The PyTorch eager reference of the benchmarks.</summary>
    public string TorchReference => Path.Combine(Home, "bench", "torch_ref.py");

    /// <summary>The test executable of <paramref name="name"/>, or null when it is not there (not built, or not bundled).</summary>
    public string? TestExecutable(string name)
    {
        var path = IsBundle
            ? Path.Combine(Home, "tests", name, name)
            : Path.Combine(Home, "tests", name, "bin", "Release", "net10.0", name);
        return File.Exists(path) ? path : null;
    }
}

using System.Diagnostics;

namespace Runner.Pipeline.Tests.TestKit;

/// <summary>
/// Runner.Pipeline.TestHost as a child process (built by the ProjectReference and copied to
/// pipeline-testhost/ next to the tests), with its output collected.
/// </summary>
public sealed class HostProcess : IDisposable
{
    private readonly Process _process;
    private readonly Task<string> _stdout;
    private readonly Task<string> _stderr;

    private HostProcess(Process process)
    {
        _process = process;
        _stdout = process.StandardOutput.ReadToEndAsync();
        _stderr = process.StandardError.ReadToEndAsync();
    }

    /// <summary>The child's pid.</summary>
    public int Id => _process.Id;

    /// <summary>Starts the host with <paramref name="args"/>.</summary>
    public static HostProcess Start(params string[] args)
    {
        var dll = Path.Combine(AppContext.BaseDirectory, "pipeline-testhost", "Runner.Pipeline.TestHost.dll");
        if (!File.Exists(dll)) throw new FileNotFoundException($"the test host was not built next to the tests: {dll}");
        var start = new ProcessStartInfo(DotnetHost())
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(dll);
        foreach (var a in args) start.ArgumentList.Add(a);
        return new HostProcess(Process.Start(start)!);
    }

    /// <summary>Waits for exit (killing the child after <paramref name="timeout"/>); returns exit code and stdout + stderr.</summary>
    public async Task<(int ExitCode, string Output)> WaitAsync(TimeSpan timeout)
    {
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        cts.CancelAfter(timeout);
        try
        {
            await _process.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            _process.Kill(entireProcessTree: true);
            throw new TimeoutException($"the test host did not finish within {timeout}: {await _stdout}{await _stderr}");
        }
        return (_process.ExitCode, await _stdout + await _stderr);
    }

    /// <summary>SIGKILL: no handler, no finally block, no cleanup runs in the child.</summary>
    public async Task KillAsync()
    {
        _process.Kill();
        await _process.WaitForExitAsync(TestContext.Current.CancellationToken);
    }

    public void Dispose()
    {
        if (!_process.HasExited) _process.Kill(entireProcessTree: true);
        _process.Dispose();
    }

    private static string DotnetHost()
    {
        if (Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host && File.Exists(host)) return host;
        if (Environment.ProcessPath is { } self && Path.GetFileNameWithoutExtension(self) == "dotnet") return self;
        return "dotnet";
    }
}

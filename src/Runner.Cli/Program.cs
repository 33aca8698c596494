using Runner.Hooks.FSharp;
using Runner.Pipeline;
using Runner.Torch;

namespace Runner.Cli;

/// <summary>Entry point: the real console, Ctrl-C, and the real stage catalog.</summary>
public static class Program
{
    /// <summary>0 ok, 1 failed, 2 bad spec or usage, 130 cancelled.</summary>
    public static int Main(string[] args)
    {
        using var cts = new CancellationTokenSource();
        Console.CancelKeyPress += (_, e) =>
        {
            // First Ctrl-C: stop at the next step and clean up. A second one ends the process.
            if (cts.IsCancellationRequested) return;
            e.Cancel = true;
            Console.Error.WriteLine("cancelling: the running stage stops at its next step (Ctrl-C again to abort at once)...");
            cts.Cancel();
        };
        var scriptHost = new Lazy<FSharpScriptHost>(() => new FSharpScriptHost(FSharpScriptHost.DefaultCacheDirectory(Environment.GetEnvironmentVariable)));
        var context = new CliContext
        {
            Out = Console.Out,
            Error = Console.Error,
            Stages = () => StageCatalog.Create(scriptHost.Value),
            ScriptHost = () => scriptHost.Value,
            EnvironmentFingerprint = () => $"libtorch={TorchRuntime.Version};shim={TorchRuntime.ShimAbiVersion}",
            Interactive = !Console.IsErrorRedirected && !Console.IsOutputRedirected && Environment.GetEnvironmentVariable("CI") is null,
            Cancellation = cts.Token,
        };
        return CliApp.Run(args, context);
    }
}

using System.CommandLine;
using Runner.Cli.Commands;
using Runner.Core;

namespace Runner.Cli;

/// <summary>The command tree and the mapping of failures to exit codes, independent of the real console.</summary>
public static class CliApp
{
    /// <summary>Parses and runs <paramref name="args"/>; returns the exit code.</summary>
    public static int Run(string[] args, CliContext context)
    {
        var root = new RootCommand("Runner: dictionary-learning experiments (sparse autoencoders) on language models, from YAML specs.")
        {
            RunCommand.Create(context),
            CheckCommand.Create(context),
            BaselineCommand.Create(context),
            ReproduceCommand.Create(context),
            ValidateCommand.Create(context),
            LsCommand.Create(context),
            ShowCommand.Create(context),
            MetricsCommand.Create(context),
            ReportCommand.Create(context),
            ExportCommand.Create(context),
            TablesCommand.Create(context),
            CacheCommand.Create(context),
            DoctorCommand.Create(context),
            GpuCheckCommand.Create(context),
            BenchCommand.Create(context),
            TrackingCommand.Create(context),
            HookCommand.Create(context),
            ModelCommands.Tokenize(context),
            ModelCommands.Generate(context),
        };
        var parsed = root.Parse(args);
        if (parsed.Errors.Count > 0 && !args.Contains("--help") && !args.Contains("-h"))
        {
            foreach (var error in parsed.Errors) context.Error.WriteLine($"error: {error.Message}");
            context.Error.WriteLine("Run 'runner --help' for usage.");
            return ExitCodes.Usage;
        }
        try
        {
            return parsed.Invoke(new InvocationConfiguration { Output = context.Out, Error = context.Error, ProcessTerminationTimeout = null, EnableDefaultExceptionHandler = false });
        }
        catch (RunnerException e)
        {
            // A user error: one actionable message, no stack trace. A stage that failed with an
            // unexpected exception is a bug, though, and keeps its trace.
            context.Error.WriteLine($"error: {e.Message}");
            if (e.InnerException is { } inner && IsBug(inner))
                context.Error.WriteLine($"This looks like a bug in Runner; please report it with what follows.{Environment.NewLine}{inner}");
            return e.ExitCode;
        }
        catch (OperationCanceledException) when (context.Cancellation.IsCancellationRequested)
        {
            context.Error.WriteLine("cancelled; the interrupted run is recorded as killed and nothing half-written was kept in the cache. Run the same command again to resume: finished stages come from the cache.");
            return ExitCodes.Cancelled;
        }
        catch (Torch.TorchException e)
        {
            // libtorch refused (out of memory, no CUDA, ...): one line, like any expected failure.
            context.Error.WriteLine($"error: {e.Message}");
            return ExitCodes.Failed;
        }
        catch (DllNotFoundException e)
        {
            context.Error.WriteLine($"error: {e.Message}");
            return ExitCodes.Failed;
        }
        catch (Exception e) when (IsBug(e))
        {
            context.Error.WriteLine($"internal error (a bug in Runner; please report it with what follows):{Environment.NewLine}{e}");
            return ExitCodes.Failed;
        }
    }

    /// <summary>True for exceptions no user input explains: they are shown with their stack trace.</summary>
    internal static bool IsBug(Exception e) =>
        e is not (RunnerException or Torch.TorchException or IOException or UnauthorizedAccessException or OperationCanceledException);
}

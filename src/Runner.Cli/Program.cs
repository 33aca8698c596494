using System.CommandLine;
using Runner.Cli.Commands;

namespace Runner.Cli;

/// <summary>Entry point: builds the command tree and maps failures to exit codes.</summary>
public static class Program
{
    /// <summary>0 ok, 1 failed, 2 bad usage, 130 cancelled.</summary>
    public static int Main(string[] args)
    {
        var root = new RootCommand("Runner: dictionary-learning experiments (sparse autoencoders) on language models, from YAML specs.")
        {
            DoctorCommand.Create(),
            BenchCommand.Create(),
        };
        try
        {
            var parsed = root.Parse(args);
            if (parsed.Errors.Count > 0 && !args.Contains("--help") && !args.Contains("-h"))
            {
                foreach (var error in parsed.Errors) Console.Error.WriteLine($"error: {error.Message}");
                Console.Error.WriteLine("Run 'runner --help' for usage.");
                return ExitCodes.Usage;
            }
            return parsed.Invoke();
        }
        catch (DllNotFoundException e)
        {
            Console.Error.WriteLine($"error: {e.Message}");
            return ExitCodes.Failed;
        }
    }
}

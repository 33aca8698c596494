using System.CommandLine;
using Runner.Core;

namespace Runner.Cli.Commands;

/// <summary><c>runner hook check SCRIPT...</c>: compiles hook scripts against the context API, for editors and CI.</summary>
public static class HookCommand
{
    /// <summary>Builds the command.</summary>
    public static Command Create(CliContext context)
    {
        var scripts = new Argument<string[]>("SCRIPT") { Description = "F# hook scripts (.fsx).", Arity = ArgumentArity.OneOrMore };
        var check = new Command("check", "Compile hook scripts against the context API and print every error as file(line,col): error FSxxxx: message; exit 0 if all compile, 1 otherwise.") { scripts };
        check.SetAction(r =>
        {
            var host = context.ScriptHost?.Invoke() ?? throw new RunnerException("F# hooks are not available in this process", exitCode: 2);
            var failed = 0;
            foreach (var script in r.GetValue(scripts)!)
            {
                var result = host.Check(Path.GetFullPath(script, context.WorkingDirectory), context.Cancellation);
                foreach (var warning in result.Warnings) context.Error.WriteLine(warning);
                foreach (var error in result.Errors) context.Error.WriteLine(error);
                if (result.Succeeded) context.Out.WriteLine($"{script}: ok{(result.FromCache ? " (compiled form cached)" : $" (compiled in {result.Seconds:0.0} s)")}");
                else failed++;
            }
            return failed == 0 ? ExitCodes.Ok : ExitCodes.Failed;
        });
        return new Command("hook", "F# hook scripts.") { check };
    }
}

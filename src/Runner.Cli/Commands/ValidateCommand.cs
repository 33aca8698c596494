using System.CommandLine;
using Runner.Pipeline.Spec;

namespace Runner.Cli.Commands;

/// <summary><c>runner validate SPEC...</c>: every error of every spec at once; exit 2 when any.</summary>
public static class ValidateCommand
{
    /// <summary>Builds the command.</summary>
    public static Command Create(CliContext context)
    {
        var specs = new Argument<string[]>("SPEC") { Description = "Experiment spec files (YAML).", Arity = ArgumentArity.OneOrMore };
        var set = SpecOptions.Set();
        var command = new Command("validate", "Check specs (includes, variables, overrides, every sweep point) without running anything.") { specs, set };
        command.SetAction(r =>
        {
            var ok = true;
            foreach (var spec in r.GetValue(specs)!)
            {
                var result = SpecLoader.TryLoad(Path.GetFullPath(spec, context.WorkingDirectory), SpecOptions.LoadOptions(context, r.GetValue(set), device: null));
                if (result.Experiment is { } experiment)
                {
                    var n = experiment.Points.Count;
                    context.Out.WriteLine($"{spec}: ok ({experiment.Points[0].Experiment}, {n} run{(n == 1 ? "" : "s")})");
                }
                else
                {
                    ok = false;
                    SpecOptions.WriteErrors(context, result.Errors);
                }
            }
            return ok ? ExitCodes.Ok : ExitCodes.Usage;
        });
        return command;
    }
}

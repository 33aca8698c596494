namespace Runner.Pipeline.Hooks;

/// <summary>
/// Compiles and runs hook scripts. Pipeline defines the contract and <see cref="HookContext"/>;
/// Runner.Hooks.FSharp implements it with FSharp.Compiler.Service (kept out of Pipeline), and the CLI
/// passes it to <see cref="StageCatalog.Create"/>.
/// </summary>
public interface IScriptHost
{
    /// <summary>
    /// Compiles <paramref name="scriptPath"/> against the context API (or takes its compiled form from
    /// the compile cache) and returns the errors, formatted <c>file(line,col): error FSxxxx: message</c>.
    /// </summary>
    ScriptCheck Check(string scriptPath, CancellationToken cancellationToken);

    /// <summary>
    /// Compiles (or takes from the cache) and runs the script's <c>run</c> function on
    /// <paramref name="context"/>. A compile error is a <see cref="Runner.Core.RunnerException"/>
    /// listing the errors; an exception thrown by the script propagates as <see cref="HookFailedException"/>.
    /// </summary>
    Task RunAsync(string scriptPath, HookContext context, CancellationToken cancellationToken);
}

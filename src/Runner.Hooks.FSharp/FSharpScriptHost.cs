using System.Diagnostics;
using System.Reflection;
using System.Security.Cryptography;
using System.Text;
using FSharp.Compiler.CodeAnalysis;
using FSharp.Compiler.Diagnostics;
using Microsoft.FSharp.Control;
using Microsoft.FSharp.Core;
using Runner.Core;
using Runner.Pipeline.Hooks;

namespace Runner.Hooks.FSharp;

/// <summary>
/// Compiles <c>.fsx</c> hook scripts with FSharp.Compiler.Service (FSharpChecker) into an assembly,
/// after <see cref="HookPrelude"/>, against Runner's own assemblies; caches the compiled form in
/// <see cref="CacheDirectory"/> by the script's content, the prelude and Runner's build, so a second
/// run compiles nothing; and runs a script's <c>run (ctx: HookContext)</c> in a collectible
/// AssemblyLoadContext that is unloaded afterwards.
/// </summary>
public sealed class FSharpScriptHost : IScriptHost
{
    private static readonly Lazy<FSharpChecker> Checker = new(() => FSharpChecker.Create(
        null, null, null, null, null, null, null, null, null, null, null, null, null, null));

    private readonly object _gate = new();

    /// <summary>A host whose compiled scripts live in <paramref name="cacheDirectory"/> (created on demand).</summary>
    public FSharpScriptHost(string cacheDirectory) => CacheDirectory = Path.GetFullPath(cacheDirectory);

    /// <summary>
    /// The default compile cache: <c>$RUNNER_HOOK_CACHE</c>, else <c>$XDG_CACHE_HOME/runner/hooks</c>,
    /// else <c>~/.cache/runner/hooks</c>.
    /// </summary>
    public static string DefaultCacheDirectory(Func<string, string?> environment) =>
        environment("RUNNER_HOOK_CACHE") is { Length: > 0 } dir ? dir
            : Path.Combine(environment("XDG_CACHE_HOME") is { Length: > 0 } xdg ? xdg
                : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache"), "runner", "hooks");

    /// <summary>Where compiled scripts are kept (<c>HASH.dll</c> and <c>HASH.pdb</c>).</summary>
    public string CacheDirectory { get; }

    /// <summary>How many scripts this host compiled (cache misses); for tests and diagnostics.</summary>
    public int Compilations { get; private set; }

    /// <inheritdoc/>
    public ScriptCheck Check(string scriptPath, CancellationToken cancellationToken) => Compile(scriptPath, cancellationToken).Check;

    /// <inheritdoc/>
    public Task RunAsync(string scriptPath, HookContext context, CancellationToken cancellationToken)
    {
        var (check, dll) = Compile(scriptPath, cancellationToken);
        if (!check.Succeeded)
            throw new RunnerException($"{Path.GetFileName(scriptPath)} does not compile:{Environment.NewLine}{string.Join(Environment.NewLine, check.Errors)}");
        context.Log.Info(check.FromCache ? "compiled form from the cache" : $"compiled in {check.Seconds:0.0} s");
        return Task.Run(() => Invoke(scriptPath, dll!, context, cancellationToken), cancellationToken);
    }

    private (ScriptCheck Check, string? Dll) Compile(string scriptPath, CancellationToken ct)
    {
        var script = Path.GetFullPath(scriptPath);
        if (!File.Exists(script)) throw new RunnerException($"{script}: no such script", exitCode: 2);
        if (!script.EndsWith(".fsx", StringComparison.OrdinalIgnoreCase)) throw new RunnerException($"{script}: a hook script is an .fsx file", exitCode: 2);
        var source = File.ReadAllBytes(script);
        var key = Key(source);
        var dll = Path.Combine(CacheDirectory, key + ".dll");
        lock (_gate)
        {
            if (File.Exists(dll)) return (new ScriptCheck { Script = script, FromCache = true }, dll);
            ct.ThrowIfCancellationRequested();
            Directory.CreateDirectory(CacheDirectory);
            var work = Path.Combine(CacheDirectory, $".tmp.{key}.{Guid.NewGuid():N}");
            Directory.CreateDirectory(work);
            try
            {
                var clock = Stopwatch.StartNew();
                var prelude = Path.Combine(work, HookPrelude.FileName);
                File.WriteAllText(prelude, HookPrelude.Text);
                var output = Path.Combine(work, "script.dll");
                var args = new List<string>
                {
                    "fsc.exe", "-o:" + output, "--target:library", "--nologo", "--optimize+", "--debug:portable", "--pdb:" + Path.ChangeExtension(output, ".pdb"),
                    "--targetprofile:netcore", "--warn:3", "--nowarn:988",
                };
                foreach (var reference in References()) args.Add("-r:" + reference);
                args.Add(prelude);
                args.Add(script);
                var (diagnostics, exception) = FSharpAsync.RunSynchronously(Checker.Value.Compile([.. args], null), null, FSharpOption<CancellationToken>.Some(ct)).ToValueTuple();
                Compilations++;
                var errors = diagnostics.Where(d => d.Severity.IsError).Select(Format).ToList();
                var warnings = diagnostics.Where(d => d.Severity.IsWarning).Select(Format).ToList();
                if (errors.Count == 0 && FSharpOption<Exception>.get_IsSome(exception))
                    errors.Add($"{script}(1,1): error FS0000: the compiler failed: {exception!.Value.Message}");
                if (errors.Count == 0 && !File.Exists(output)) errors.Add($"{script}(1,1): error FS0000: the compiler wrote no assembly");
                var check = new ScriptCheck { Script = script, Errors = errors, Warnings = warnings, Seconds = clock.Elapsed.TotalSeconds };
                if (!check.Succeeded) return (check, null);
                File.Move(Path.ChangeExtension(output, ".pdb"), Path.ChangeExtension(dll, ".pdb"), overwrite: true);
                File.Move(output, dll, overwrite: true);
                return (check, dll);
            }
            finally
            {
                try { Directory.Delete(work, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
            }
        }
    }

    // file(line,col): error FSxxxx: message, with the script's own 1-based positions.
    private static string Format(FSharpDiagnostic d) =>
        $"{d.FileName}({d.StartLine},{d.StartColumn + 1}): {(d.Severity.IsError ? "error" : "warning")} {d.ErrorNumberText}: {d.Message}";

    // The script's content, the prelude, Runner's build (its assemblies' module ids change with any
    // code change, deterministic builds keep them otherwise) and the compiler's version.
    private static string Key(byte[] source)
    {
        var sb = new StringBuilder();
        sb.Append(Convert.ToHexStringLower(SHA256.HashData(source))).Append('\n').Append(HookPrelude.Text).Append('\n');
        foreach (var a in new[] { typeof(HookContext).Assembly, typeof(RunnerException).Assembly, typeof(Torch.Tensor).Assembly, typeof(FSharpChecker).Assembly, typeof(FSharpOption<>).Assembly })
            sb.Append(a.GetName().Name).Append(' ').Append(a.GetName().Version).Append(' ').Append(a.ManifestModule.ModuleVersionId).Append('\n');
        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(sb.ToString())))[..32];
    }

    private static IEnumerable<string> References() =>
        new[] { typeof(HookContext).Assembly, typeof(RunnerException).Assembly, typeof(Torch.Tensor).Assembly, typeof(FSharpOption<>).Assembly }
            .Select(a => a.Location).Where(l => l.Length > 0).Distinct();

    private static void Invoke(string script, string dll, HookContext context, CancellationToken ct)
    {
        var alc = new ScriptLoadContext(Path.GetFileName(script));
        try
        {
            Assembly assembly;
            using (var image = File.OpenRead(dll))
            using (var pdb = File.Exists(Path.ChangeExtension(dll, ".pdb")) ? File.OpenRead(Path.ChangeExtension(dll, ".pdb")) : null)
                assembly = alc.LoadFromStream(image, pdb);
            var run = FindRun(script, assembly);
            object? result;
            try
            {
                result = run.Invoke(null, [context]);
                switch (result)
                {
                    case FSharpAsync<Unit> async:
                        FSharpAsync.RunSynchronously(async, null, FSharpOption<CancellationToken>.Some(ct));
                        break;
                    case Task task:
                        task.GetAwaiter().GetResult();
                        break;
                }
            }
            catch (TargetInvocationException e) when (e.InnerException is not null)
            {
                throw Failure(script, e.InnerException);
            }
            catch (Exception e) when (e is not (OperationCanceledException or HookFailedException))
            {
                throw Failure(script, e);
            }
        }
        finally
        {
            alc.Unload();
        }
    }

    private static Exception Failure(string script, Exception e)
    {
        if (e is OperationCanceledException) return e;
        // The script's own line, when its frames are in the trace (the pdb is loaded with it).
        var frame = new StackTrace(e, fNeedFileInfo: true).GetFrames()
            .FirstOrDefault(f => string.Equals(f.GetFileName(), script, StringComparison.Ordinal) && f.GetFileLineNumber() > 0);
        return new HookFailedException(script, e, frame is null ? null : $"{Path.GetFileName(script)}:{frame.GetFileLineNumber()}");
    }

    private static MethodInfo FindRun(string script, Assembly assembly)
    {
        var candidates = assembly.GetTypes()
            .SelectMany(t => t.GetMethods(BindingFlags.Public | BindingFlags.Static))
            .Where(m => m.Name == "run" && m.GetParameters() is [{ } p] && p.ParameterType == typeof(HookContext))
            .ToList();
        return candidates.Count switch
        {
            // A run that only throws is generic in its result (HookContext -> 'a): instantiate it.
            1 when candidates[0].IsGenericMethodDefinition => candidates[0].MakeGenericMethod([.. candidates[0].GetGenericArguments().Select(_ => typeof(object))]),
            1 => candidates[0],
            0 => throw new RunnerException($"{Path.GetFileName(script)} defines no 'run (ctx: HookContext)' function (it should end with: let run (ctx: HookContext) = ...)"),
            _ => throw new RunnerException($"{Path.GetFileName(script)} defines 'run (ctx: HookContext)' more than once"),
        };
    }
}

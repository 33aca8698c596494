using System.ComponentModel;
using System.Diagnostics;
using System.Text.Json;

namespace Runner.Core.Tests.Tokenizers;

/// <summary>
/// Runs tests/tokenizer-compare/compare.mjs once: `npm ci` when node_modules is missing, then node, which
/// writes the GPT-2, Llama 3 and Qwen 3 vocabulary folders to a temp folder and prints the ids the
/// independent JavaScript implementations give for every string of corpus.json.
/// </summary>
public sealed class IndependentTokenizersFixture : IDisposable
{
    private static readonly TimeSpan NpmTimeout = TimeSpan.FromMinutes(3);
    private static readonly TimeSpan NodeTimeout = TimeSpan.FromMinutes(2);

    public IndependentTokenizersFixture()
    {
        CompareDir = FindCompareDir();
        Corpus = JsonSerializer.Deserialize<string[]>(File.ReadAllText(Path.Combine(CompareDir, "corpus.json")))!;
        if (!CanRun("node") || !CanRun("npm"))
        {
            SkipReason = "Node.js and npm are not installed; install them (Debian: apt-get install nodejs npm) to compare Runner's tokenizers with independent implementations";
            return;
        }
        OutDir = Path.Combine(Path.GetTempPath(), "runner-tokenizer-compare", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(OutDir);
        if (!Directory.Exists(Path.Combine(CompareDir, "node_modules")))
            Run("npm", ["ci", "--no-audit", "--no-fund"], NpmTimeout);
        var stdout = Run("node", ["compare.mjs", "corpus.json", OutDir], NodeTimeout);
        JsIds = JsonSerializer.Deserialize<Dictionary<string, int[][]>>(stdout)!;
    }

    /// <summary>tests/tokenizer-compare.</summary>
    public string CompareDir { get; }

    /// <summary>The strings of corpus.json.</summary>
    public string[] Corpus { get; }

    /// <summary>Why the comparison cannot run here, or null.</summary>
    public string? SkipReason { get; }

    /// <summary>Where compare.mjs wrote the vocabulary folders (gpt2, llama3, qwen3).</summary>
    public string OutDir { get; } = "";

    /// <summary>Per package, the JavaScript ids of each corpus string.</summary>
    public Dictionary<string, int[][]> JsIds { get; } = [];

    public void Dispose()
    {
        if (OutDir.Length == 0) return;
        try { Directory.Delete(OutDir, recursive: true); }
        catch (IOException) { }
    }

    private static string FindCompareDir()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, "tests", "tokenizer-compare");
            if (File.Exists(Path.Combine(candidate, "package.json"))) return candidate;
        }
        throw new InvalidOperationException($"tests/tokenizer-compare not found above {AppContext.BaseDirectory}");
    }

    private static bool CanRun(string program)
    {
        try
        {
            using var p = Process.Start(new ProcessStartInfo(program, "--version") { RedirectStandardOutput = true, RedirectStandardError = true })!;
            p.StandardOutput.ReadToEnd();
            return p.WaitForExit(30_000) && p.ExitCode == 0;
        }
        catch (Win32Exception)
        {
            return false;
        }
    }

    private string Run(string program, string[] args, TimeSpan timeout)
    {
        var start = new ProcessStartInfo(program) { WorkingDirectory = CompareDir, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in args) start.ArgumentList.Add(a);
        using var p = Process.Start(start)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(timeout))
        {
            p.Kill(entireProcessTree: true);
            throw new TimeoutException($"{program} {string.Join(' ', args)} did not finish within {timeout.TotalSeconds} s");
        }
        p.WaitForExit();
        if (p.ExitCode != 0)
            throw new InvalidOperationException($"{program} {string.Join(' ', args)} exited with {p.ExitCode}: {Tail(stderr.Result)}");
        return stdout.Result;
    }

    private static string Tail(string s) => s.Length <= 2000 ? s : "..." + s[^2000..];
}

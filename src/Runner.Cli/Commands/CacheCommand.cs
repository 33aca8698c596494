using System.CommandLine;
using System.Globalization;
using Runner.Cli.Rendering;
using Runner.Core;
using Runner.Pipeline.Caching;
using Runner.Pipeline.Runs;

namespace Runner.Cli.Commands;

/// <summary><c>runner cache ls|rm|gc</c>: inspect and prune the stage cache.</summary>
public static class CacheCommand
{
    /// <summary>Builds the command group.</summary>
    public static Command Create(CliContext context)
    {
        var cacheDir = new Option<string?>("--cache-dir") { Description = "The stage cache (default: $RUNNER_CACHE, else .runner/cache).", Recursive = true };
        var command = new Command("cache", "Inspect and prune the content-addressed stage cache.") { cacheDir };
        command.Subcommands.Add(List(context, cacheDir));
        command.Subcommands.Add(Remove(context, cacheDir));
        command.Subcommands.Add(Gc(context, cacheDir));
        return command;
    }

    private static StageCache Open(CliContext context, string? dir) =>
        new(CacheOptions.Create(dir, context.WorkingDirectory, context.GetEnvironment));

    private static Command List(CliContext context, Option<string?> cacheDir)
    {
        var command = new Command("ls", "List entries: stage, key, size, created, last used.");
        command.SetAction(r =>
        {
            var cache = Open(context, r.GetValue(cacheDir));
            var entries = cache.List();
            if (entries.Count == 0)
            {
                context.Out.WriteLine($"cache {cache.Root} is empty");
                return ExitCodes.Ok;
            }
            TextTable.Write(context.Out, ["stage", "key", "size", "created", "last used", "problem"],
                entries.Select(e => new[] { e.Stage, StageCache.Short(e.Key), Bytes(e.SizeBytes), e.Created.ToLocalTime().ToString("yyyy-MM-dd HH:mm"), e.LastUsed.ToLocalTime().ToString("yyyy-MM-dd HH:mm"), e.Problem ?? "" }).ToList());
            context.Out.WriteLine($"{entries.Count} entries, {Bytes(entries.Sum(e => e.SizeBytes))} in {cache.Root}");
            return ExitCodes.Ok;
        });
        return command;
    }

    private static Command Remove(CliContext context, Option<string?> cacheDir)
    {
        var selectors = new Argument<string[]>("STAGE[/KEY_PREFIX]") { Description = "What to remove: every entry of a stage, or those whose key starts with a prefix.", Arity = ArgumentArity.ZeroOrMore };
        var all = new Option<bool>("--all") { Description = "Remove every entry." };
        var command = new Command("rm", "Remove entries (runs that link to them keep their metrics but lose the files).") { selectors, all };
        command.SetAction(r =>
        {
            var cache = Open(context, r.GetValue(cacheDir));
            var given = r.GetValue(selectors) ?? [];
            if (given.Length == 0 && !r.GetValue(all))
                throw new RunnerException("cache rm: name what to remove (STAGE or STAGE/KEY_PREFIX), or pass --all", exitCode: 2);
            var removed = new List<CacheEntryInfo>();
            if (r.GetValue(all))
                foreach (var stage in cache.List().Select(e => e.Stage).Distinct()) removed.AddRange(cache.Remove(stage, null));
            foreach (var s in given)
            {
                var slash = s.IndexOf('/');
                removed.AddRange(slash < 0 ? cache.Remove(s, null) : cache.Remove(s[..slash], s[(slash + 1)..]));
            }
            foreach (var e in removed) context.Out.WriteLine($"removed {e.Stage}/{StageCache.Short(e.Key)} ({Bytes(e.SizeBytes)})");
            context.Out.WriteLine($"{removed.Count} entries removed, {Bytes(removed.Sum(e => e.SizeBytes))} freed");
            return ExitCodes.Ok;
        });
        return command;
    }

    private static Command Gc(CliContext context, Option<string?> cacheDir)
    {
        var runsDirs = new Option<string[]>("--runs-dir") { Description = "Keep entries used by runs under these roots (default: runs; repeatable)." };
        var unusedFor = new Option<double?>("--unused-for") { Description = "Only remove entries not used for this many days." };
        var dryRun = new Option<bool>("--dry-run") { Description = "Show what would be removed." };
        var command = new Command("gc", "Remove entries no run folder uses (and leftovers of crashed writers).") { runsDirs, unusedFor, dryRun };
        command.SetAction(r =>
        {
            var cache = Open(context, r.GetValue(cacheDir));
            var roots = r.GetValue(runsDirs) is { Length: > 0 } given ? given : [RunFolder.DefaultRoot];
            var report = cache.CollectGarbage(new GcOptions
            {
                RunsRoots = [.. roots.Select(d => RunFolder.ResolveRoot(d, context.WorkingDirectory))],
                UnusedFor = r.GetValue(unusedFor) is { } days ? TimeSpan.FromDays(days) : null,
                DryRun = r.GetValue(dryRun),
            });
            var verb = r.GetValue(dryRun) ? "would remove" : "removed";
            foreach (var e in report.Entries) context.Out.WriteLine($"{verb} {e.Stage}/{StageCache.Short(e.Key)} ({Bytes(e.SizeBytes)})");
            foreach (var l in report.Leftovers) context.Out.WriteLine($"{verb} leftover {l}");
            context.Out.WriteLine($"{report.Entries.Count} entries and {report.Leftovers.Count} leftovers {verb}, {Bytes(report.FreedBytes)}");
            return ExitCodes.Ok;
        });
        return command;
    }

    internal static string Bytes(long n) => n switch
    {
        < 1L << 10 => $"{n} B",
        < 1L << 20 => string.Create(CultureInfo.InvariantCulture, $"{n / 1024.0:F1} KiB"),
        < 1L << 30 => string.Create(CultureInfo.InvariantCulture, $"{n / 1048576.0:F1} MiB"),
        _ => string.Create(CultureInfo.InvariantCulture, $"{n / 1073741824.0:F2} GiB"),
    };
}

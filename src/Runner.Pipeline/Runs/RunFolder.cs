using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Runner.Core;

namespace Runner.Pipeline.Runs;

/// <summary>
/// The run folder <c>runs/&lt;experiment&gt;/&lt;run-name&gt;/</c>: <c>resolved.yaml</c>,
/// <c>metrics.json</c> (every final metric, <c>stage.metric</c> -> number, and the versions of the metric definitions
/// they use: <see cref="MetricsDocument"/>), <c>stages.json</c> (the
/// run and each stage: key, computed or cached, seconds, cache entry) and <c>stages/&lt;stage&gt;</c>
/// (a symbolic link to the stage's cache entry, or a copy where links are not possible). A folder is
/// assembled under a dot-named temp folder next to it and renamed into place, so a run folder is
/// either complete or absent; a rerun replaces it whole. A failed run gets a folder too: <c>stages.json</c>
/// has <c>"status": "failed"</c> and the <c>"error"</c>, its stages are the completed ones plus the failed one
/// (<c>"status": "failed"</c>, <c>"error"</c>, no entry). A killed (cancelled) run likewise: <c>"status": "killed"</c>, the
/// completed stages and the interrupted one (<c>"status": "killed"</c>); a folder without <c>"status"</c> is a finished run.
/// </summary>
public static class RunFolder
{
    /// <summary>The resolved spec's file name.</summary>
    public const string ResolvedFile = "resolved.yaml";

    /// <summary>The metrics file (<see cref="MetricsDocument"/>).</summary>
    public const string MetricsFile = "metrics.json";

    /// <summary>The run and stage table.</summary>
    public const string StagesFile = "stages.json";

    /// <summary>The folder of links to the stages' cache entries.</summary>
    public const string StagesFolder = "stages";

    /// <summary>The default runs root, relative to the working directory.</summary>
    public const string DefaultRoot = "runs";

    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };

    /// <summary>The absolute runs root: <paramref name="explicitRoot"/> (<c>--runs-dir</c>) or <c>runs</c>.</summary>
    public static string ResolveRoot(string? explicitRoot, string workingDirectory) =>
        Path.GetFullPath(string.IsNullOrWhiteSpace(explicitRoot) ? DefaultRoot : explicitRoot, workingDirectory);

    /// <summary>The folder of a run (names made safe for a file system by <see cref="SafeName"/>).</summary>
    public static string PathFor(string runsRoot, string experiment, string runName) =>
        Path.Combine(Path.GetFullPath(runsRoot), SafeName(experiment), SafeName(runName));

    /// <summary>
    /// Writes the run folder for <paramref name="record"/> atomically and returns its path.
    /// <paramref name="resolvedYaml"/> is the resolved spec's text.
    /// </summary>
    public static string Write(string runsRoot, RunRecord record, string resolvedYaml)
    {
        var final = PathFor(runsRoot, record.Experiment, record.RunName);
        var parent = Path.GetDirectoryName(final)!;
        Directory.CreateDirectory(parent);
        var temp = Path.Combine(parent, $".tmp.{Path.GetFileName(final)}.{Guid.NewGuid():N}");
        Directory.CreateDirectory(temp);
        try
        {
            File.WriteAllText(Path.Combine(temp, ResolvedFile), resolvedYaml);
            File.WriteAllText(Path.Combine(temp, MetricsFile), MetricsDocument.ToJson(record.Metrics).ToJsonString(Indented) + "\n");
            File.WriteAllText(Path.Combine(temp, StagesFile), StagesJson(record).ToJsonString(Indented) + "\n");
            var links = Directory.CreateDirectory(Path.Combine(temp, StagesFolder)).FullName;
            var completed = record.Stages.Where(s => s.Status is not (StageStatus.Failed or StageStatus.Killed) && s.Entry.Length > 0).ToList();
            foreach (var stage in completed) LinkOrCopy(stage.Entry, Path.Combine(links, stage.Name));
            foreach (var stage in completed)
                foreach (var (name, inside) in stage.Links)
                {
                    var source = Path.Combine(stage.Entry, inside);
                    if (Directory.Exists(source) || File.Exists(source)) LinkOrCopy(source, Path.Combine(temp, SafeName(name)));
                }
            Swap(temp, final, parent);
            return final;
        }
        finally
        {
            DeleteTree(temp);
        }
    }

    /// <summary>Reads a run folder; a RunnerException (exit 2) when it is not one.</summary>
    public static RunRecord Read(string runDirectory)
    {
        try
        {
            var stages = JsonNode.Parse(File.ReadAllText(Path.Combine(runDirectory, StagesFile))) as JsonObject
                ?? throw new FormatException($"{StagesFile} is not a JSON object");
            var recorded = MetricsDocument.Parse(JsonNode.Parse(File.ReadAllText(Path.Combine(runDirectory, MetricsFile))));
            var flat = recorded.Values;
            return new RunRecord
            {
                Experiment = Required(stages, "experiment"),
                RunName = Required(stages, "run_name"),
                Point = (int?)stages["point"] ?? throw new FormatException("no point"),
                SpecHash = Required(stages, "spec_hash"),
                Environment = (string?)stages["environment"] ?? "",
                RunnerVersion = (string?)stages["runner_version"],
                GitCommit = (string?)stages["git_commit"],
                Varied = (stages["varied"] as JsonObject)?.Select(p => KeyValuePair.Create(p.Key, p.Value?.DeepClone())).ToList() ?? [],
                Started = ParseTime((string?)stages["started"]),
                Finished = ParseTime((string?)stages["finished"]),
                Error = (string?)stages["status"] switch
                {
                    null or "finished" => null,
                    "failed" => (string?)stages["error"] ?? "",
                    "killed" => (string?)stages["error"] ?? RunRecord.CancelledError,
                    var other => throw new FormatException($"unknown run status '{other}'"),
                },
                Killed = (string?)stages["status"] == "killed",
                MetricDefinitions = recorded.Definitions,
                Stages = (stages["stages"] as JsonArray ?? throw new FormatException("no stages")).Select(n =>
                {
                    var s = n as JsonObject ?? throw new FormatException("a stage is not an object");
                    var name = Required(s, "name");
                    return new RunStage
                    {
                        Name = name,
                        Key = Required(s, "key"),
                        Status = Required(s, "status") switch
                        {
                            "computed" => StageStatus.Computed,
                            "cached" => StageStatus.Cached,
                            "failed" => StageStatus.Failed,
                            "killed" => StageStatus.Killed,
                            var other => throw new FormatException($"unknown status '{other}'"),
                        },
                        Seconds = (double?)s["seconds"] ?? 0,
                        Entry = (string?)s["entry"] ?? "",
                        Stream = (string?)s["stream"],
                        Passes = (int?)s["passes"],
                        Error = (string?)s["error"],
                        Metrics = flat.Where(p => p.Key.StartsWith(name + ".", StringComparison.Ordinal))
                            .ToDictionary(p => p.Key[(name.Length + 1)..], p => p.Value, StringComparer.Ordinal),
                    };
                }).ToList(),
            };
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or JsonException or FormatException or InvalidOperationException)
        {
            throw new RunnerException($"{runDirectory} is not a readable run folder: {e.Message}", exitCode: 2, inner: e);
        }
    }

    /// <summary>Every complete run folder under <paramref name="runsRoot"/> (<c>&lt;experiment&gt;/&lt;run&gt;</c>), sorted.</summary>
    public static IReadOnlyList<string> Enumerate(string runsRoot)
    {
        if (!Directory.Exists(runsRoot)) return [];
        return Directory.EnumerateDirectories(runsRoot)
            .Where(d => !Path.GetFileName(d).StartsWith('.'))
            .SelectMany(Directory.EnumerateDirectories)
            .Where(d => !Path.GetFileName(d).StartsWith('.') && File.Exists(Path.Combine(d, StagesFile)))
            .Order(StringComparer.Ordinal)
            .ToList();
    }

    /// <summary>
    /// A name usable as one path segment: '/', '\', control characters and a leading '.' become '_';
    /// names over 120 characters are cut and get a short hash of the full name.
    /// </summary>
    public static string SafeName(string name)
    {
        var sb = new StringBuilder(name.Length);
        foreach (var c in name) sb.Append(c is '/' or '\\' || char.IsControl(c) ? '_' : c);
        if (sb.Length == 0 || sb[0] == '.') sb.Insert(0, '_');
        var safe = sb.ToString();
        if (safe.Length <= 120) return safe;
        var hash = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(name)))[..12];
        return $"{safe[..100]}~{hash}";
    }

    private static JsonObject StagesJson(RunRecord record)
    {
        var varied = new JsonObject();
        foreach (var (path, value) in record.Varied) varied[path] = value?.DeepClone();
        var stages = new JsonArray();
        foreach (var s in record.Stages)
        {
            var stage = new JsonObject
            {
                ["name"] = s.Name,
                ["key"] = s.Key,
                ["status"] = StatusText(s.Status),
                ["seconds"] = Math.Round(s.Seconds, 3),
                ["entry"] = s.Entry,
            };
            if (s.Stream is not null) stage["stream"] = s.Stream;
            if (s.Passes is not null) stage["passes"] = s.Passes;
            if (s.Error is not null) stage["error"] = s.Error;
            stages.Add(stage);
        }
        var run = new JsonObject
        {
            ["experiment"] = record.Experiment,
            ["run_name"] = record.RunName,
            ["point"] = record.Point,
            ["spec_hash"] = record.SpecHash,
            ["environment"] = record.Environment,
        };
        if (record.RunnerVersion is not null) run["runner_version"] = record.RunnerVersion;
        if (record.GitCommit is not null) run["git_commit"] = record.GitCommit;
        run["varied"] = varied;
        run["started"] = record.Started.UtcDateTime.ToString("O", CultureInfo.InvariantCulture);
        run["finished"] = record.Finished.UtcDateTime.ToString("O", CultureInfo.InvariantCulture);
        run["status"] = record.Status;
        if (record.Error is not null) run["error"] = record.Error;
        run["stages"] = stages;
        return run;
    }

    /// <summary>A stage status as <c>stages.json</c> writes it: computed, cached, failed or killed.</summary>
    public static string StatusText(StageStatus status) => status switch
    {
        StageStatus.Computed => "computed",
        StageStatus.Cached => "cached",
        StageStatus.Killed => "killed",
        _ => "failed",
    };

    private static void LinkOrCopy(string entry, string link)
    {
        try
        {
            Directory.CreateSymbolicLink(link, entry);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or PlatformNotSupportedException)
        {
            if (File.Exists(entry)) File.Copy(entry, link);
            else CopyTree(entry, link);
        }
    }

    private static void CopyTree(string from, string to)
    {
        Directory.CreateDirectory(to);
        foreach (var file in Directory.EnumerateFiles(from)) File.Copy(file, Path.Combine(to, Path.GetFileName(file)));
        foreach (var dir in Directory.EnumerateDirectories(from)) CopyTree(dir, Path.Combine(to, Path.GetFileName(dir)));
    }

    // Rename the old folder aside, the new one in, then delete the old: at every moment the run
    // folder is either absent or complete.
    private static void Swap(string temp, string final, string parent)
    {
        for (var attempt = 0; ; attempt++)
        {
            string? old = null;
            if (Directory.Exists(final))
            {
                old = Path.Combine(parent, $".old.{Path.GetFileName(final)}.{Guid.NewGuid():N}");
                try
                {
                    Directory.Move(final, old);
                }
                catch (IOException) when (!Directory.Exists(final))
                {
                    old = null;
                }
            }
            try
            {
                Directory.Move(temp, final);
                if (old is not null) DeleteTree(old);
                return;
            }
            catch (IOException) when (attempt < 4 && Directory.Exists(final))
            {
                // another writer of the same run folder got in between: replace theirs
            }
        }
    }

    private static string Required(JsonObject o, string name) => (string?)o[name] ?? throw new FormatException($"no {name}");

    private static DateTimeOffset ParseTime(string? text) =>
        DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind, out var t) ? t : default;

    private static void DeleteTree(string dir)
    {
        try
        {
            if (Directory.Exists(dir)) Directory.Delete(dir, recursive: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
        }
    }
}

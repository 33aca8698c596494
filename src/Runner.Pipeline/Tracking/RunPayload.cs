using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Runner.Pipeline.Metrics;
using Runner.Pipeline.Runs;

namespace Runner.Pipeline.Tracking;

/// <summary>
/// Everything one run folder sends to MLflow, read from the folder (which never changes once
/// written) and its spool: the same folder always gives the same lists in the same order, so a
/// spool's counts say exactly what is left to send.
/// </summary>
public sealed record RunPayload
{
    /// <summary>The run name.</summary>
    public required string Name { get; init; }

    /// <summary>Start time (epoch ms).</summary>
    public required long StartTime { get; init; }

    /// <summary>End time (epoch ms).</summary>
    public required long EndTime { get; init; }

    /// <summary>Tags set by the create request.</summary>
    public required IReadOnlyList<KeyValuePair<string, string>> CreateTags { get; init; }

    /// <summary>Tags logged after creation.</summary>
    public required IReadOnlyList<KeyValuePair<string, string>> Tags { get; init; }

    /// <summary>Params (the flattened resolved spec; values within 6000 characters).</summary>
    public required IReadOnlyList<KeyValuePair<string, string>> Params { get; init; }

    /// <summary>Training curves, then the final metrics.</summary>
    public required IReadOnlyList<MlflowMetric> Metrics { get; init; }

    /// <summary>Artifacts: path in the run's artifact root -> local file.</summary>
    public required IReadOnlyList<KeyValuePair<string, string>> Artifacts { get; init; }

    /// <summary>A digest of <see cref="Metrics"/>.</summary>
    public string MetricsDigest
    {
        get
        {
            var sb = new StringBuilder();
            foreach (var m in Metrics) sb.Append(CultureInfo.InvariantCulture, $"{m.Key} {m.Timestamp} {m.Step} {BitConverter.DoubleToInt64Bits(m.Value)}\n");
            return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(sb.ToString())));
        }
    }

    /// <summary>Reads <paramref name="runDirectory"/>; <paramref name="parentRunId"/> is the MLflow id of its parent run, if any.</summary>
    internal static RunPayload Read(string runDirectory, RunSpool spool, string? parentRunId)
    {
        var stagesJson = ReadObject(Path.Combine(runDirectory, RunFolder.StagesFile));
        var (metricsJson, definitions) = ReadMetrics(Path.Combine(runDirectory, RunFolder.MetricsFile));
        var started = Millis((string?)stagesJson?["started"]) ?? spool.Queued;
        var finished = Millis((string?)stagesJson?["finished"]) ?? spool.Queued;
        var name = (string?)stagesJson?["run_name"] ?? Path.GetFileName(runDirectory);
        var c = spool.Context;

        var createTags = new List<KeyValuePair<string, string>>
        {
            new("mlflow.runName", name),
            new("mlflow.user", c.User),
            new("mlflow.source.name", c.SourceName),
            new("mlflow.source.type", "LOCAL"),
        };
        if (parentRunId is not null) createTags.Add(new("mlflow.parentRunId", parentRunId));

        var tags = new List<KeyValuePair<string, string>>();
        if (c.GitCommit is not null) tags.Add(new("mlflow.source.git.commit", c.GitCommit));
        if (c.GitDirty is { } dirty) tags.Add(new("runner.git_dirty", dirty ? "true" : "false"));
        tags.Add(new("runner.version", c.RunnerVersion));
        if ((string?)stagesJson?["spec_hash"] is { } hash) tags.Add(new("runner.spec_hash", hash));
        if ((string?)stagesJson?["experiment"] is { } experiment) tags.Add(new("runner.experiment", experiment));
        if (stagesJson?["point"] is JsonValue point) tags.Add(new("runner.point", point.ToJsonString()));
        if ((string?)stagesJson?["environment"] is { Length: > 0 } environment) tags.Add(new("runner.environment", environment));
        tags.Add(new("runner.run_folder", runDirectory));
        if ((string?)stagesJson?["error"] is { } error) tags.Add(new("runner.error", error));
        var stages = (stagesJson?["stages"] as JsonArray ?? []).OfType<JsonObject>().ToList();
        foreach (var s in stages)
        {
            var stage = (string?)s["name"] ?? "";
            if ((string?)s["key"] is { } key) tags.Add(new($"runner.stage.{stage}.key", key));
            if ((string?)s["status"] is { } status) tags.Add(new($"runner.stage.{stage}.status", status));
        }
        // The metric definition versions metrics.json records (none for a flat metrics.json: unversioned, taken as v1).
        foreach (var (id, version) in definitions) tags.Add(new(MetricCatalog.TagPrefix + id, version.ToString(CultureInfo.InvariantCulture)));
        tags = [.. tags.Select(t => KeyValuePair.Create(MlflowKeys.Sanitize(t.Key), MlflowKeys.Truncate(t.Value, MlflowKeys.MaxTagValue, "cut to MLflow's tag limit")))
            .DistinctBy(t => t.Key)];

        var artifacts = new List<KeyValuePair<string, string>>();
        var resolvedPath = Path.Combine(runDirectory, RunFolder.ResolvedFile);
        var parameters = new List<KeyValuePair<string, string>>();
        if (File.Exists(resolvedPath))
        {
            artifacts.Add(new(RunFolder.ResolvedFile, resolvedPath));
            var seen = new HashSet<string>(StringComparer.Ordinal);
            foreach (var (rawKey, value) in SpecParams.Flatten(File.ReadAllText(resolvedPath)))
            {
                var key = MlflowKeys.Sanitize(rawKey);
                if (!seen.Add(key)) continue;
                if (value.Length <= MlflowKeys.MaxParamValue)
                {
                    parameters.Add(new(key, value));
                    continue;
                }
                // MLflow would cut it silently: keep a marked prefix as the param, the whole value as an artifact.
                var artifact = $"long_params/{key}.txt";
                var file = Path.Combine(runDirectory, SpoolFile.Folder, "long_params", key.Replace('/', '_') + ".txt");
                if (!File.Exists(file) || File.ReadAllText(file) != value)
                {
                    Directory.CreateDirectory(Path.GetDirectoryName(file)!);
                    File.WriteAllText(file, value);
                }
                artifacts.Add(new(artifact, file));
                parameters.Add(new(key, MlflowKeys.Truncate(value, MlflowKeys.MaxParamValue, $"full value in artifact {artifact}")));
            }
        }

        // Params hook scripts logged (stages/hooks*/params.json): STAGE.SCRIPT.NAME.
        foreach (var s in stages)
        {
            var stage = (string?)s["name"] ?? "";
            if (!Hooks.HookStage.IsHookStage(stage)) continue;
            var logged = ReadObject(Path.Combine(runDirectory, RunFolder.StagesFolder, stage, Hooks.HookStage.ParamsFile));
            foreach (var (paramName, value) in logged ?? [])
                if (value is JsonValue v && v.TryGetValue<string>(out var text))
                    parameters.Add(new(MlflowKeys.Sanitize($"{stage}.{paramName}"), MlflowKeys.Truncate(text, MlflowKeys.MaxParamValue, "cut to MLflow's param limit")));
        }
        parameters = [.. parameters.DistinctBy(p => p.Key)];

        var metrics = new List<MlflowMetric>();
        foreach (var s in stages)
        {
            var stage = (string?)s["name"] ?? "";
            metrics.AddRange(Curve(runDirectory, stage, s, finished));
        }
        foreach (var (key, node) in metricsJson ?? [])
            if (Number(node) is { } value) metrics.Add(new MlflowMetric(MlflowKeys.Sanitize(key), value, finished, 0));
        metrics = Distinct(metrics);

        foreach (var folder in new[] { "sae", "tables" })
        {
            var dir = Path.Combine(runDirectory, folder);
            if (Directory.Exists(dir))
                foreach (var (relative, file) in Files(dir, folder, 0)) artifacts.Add(new(relative, file));
        }
        // Artifacts hook scripts logged: stages/STAGE/artifacts/SCRIPT/NAME -> hooks/STAGE/SCRIPT/NAME.
        foreach (var s in stages)
        {
            var stage = (string?)s["name"] ?? "";
            var dir = Path.Combine(runDirectory, RunFolder.StagesFolder, stage, Hooks.HookStage.ArtifactsFolder);
            if (Hooks.HookStage.IsHookStage(stage) && Directory.Exists(dir))
                foreach (var (relative, file) in Files(dir, $"hooks/{stage}", 0)) artifacts.Add(new(relative, file));
        }
        var report = Path.Combine(runDirectory, "report.html");
        if (File.Exists(report)) artifacts.Add(new("report.html", report));

        return new RunPayload
        {
            Name = name,
            StartTime = started,
            EndTime = Math.Max(started, finished),
            CreateTags = createTags,
            Tags = tags,
            Params = parameters,
            Metrics = metrics,
            Artifacts = artifacts.DistinctBy(a => a.Key).ToList(),
        };
    }

    // The stage's curves.json: an array of points with "step" and numeric fields. A point's time is its
    // own "timestamp" (epoch ms) or "time" (ISO 8601) when present; otherwise it is placed linearly
    // over the stage's computation (the entry's manifest "created" minus the stage's seconds), so the
    // same folder always yields the same timestamps.
    private static IEnumerable<MlflowMetric> Curve(string runDirectory, string stage, JsonObject stageJson, long fallbackEnd)
    {
        var file = Path.Combine(runDirectory, RunFolder.StagesFolder, stage, "curves.json");
        if (!File.Exists(file)) yield break;
        JsonArray? points;
        try
        {
            points = JsonNode.Parse(File.ReadAllText(file)) as JsonArray;
        }
        catch (JsonException)
        {
            yield break;
        }
        if (points is null || points.Count == 0) yield break;
        var manifest = ReadObject(Path.Combine(runDirectory, RunFolder.StagesFolder, stage, "manifest.json"));
        var end = Millis((string?)manifest?["created"]) ?? fallbackEnd;
        var computed = (string?)stageJson["status"] == "computed";
        var seconds = computed ? (double?)stageJson["seconds"] ?? 0 : 0;
        var start = end - (long)Math.Round(seconds * 1000);
        var objects = points.OfType<JsonObject>().ToList();
        var lastStep = objects.Select(p => (long?)AsNumber(p["step"]) ?? 0).DefaultIfEmpty(0).Max();
        for (var i = 0; i < objects.Count; i++)
        {
            var p = objects[i];
            var step = AsNumber(p["step"]) is { } st ? (long)st : i + 1;
            var total = AsNumber(p["total_steps"]) is { } t && t > 0 ? t : Math.Max(lastStep, 1);
            var timestamp = AsNumber(p["timestamp"]) is { } ts ? (long)ts
                : Millis((string?)(p["time"] as JsonValue)) ?? start + (long)Math.Round((end - start) * Math.Clamp(step / total, 0, 1));
            foreach (var (field, node) in p)
            {
                if (field is "step" or "total_steps" or "timestamp" or "time") continue;
                if (Number(node) is { } v) yield return new MlflowMetric(MlflowKeys.Sanitize($"{stage}/{field}"), v, timestamp, step);
                else if (node is JsonObject nested)
                    foreach (var (sub, subNode) in nested)
                        if (Number(subNode) is { } sv) yield return new MlflowMetric(MlflowKeys.Sanitize($"{stage}/{field}.{sub}"), sv, timestamp, step);
            }
        }
    }

    private static List<MlflowMetric> Distinct(List<MlflowMetric> metrics)
    {
        var seen = new HashSet<(string, long, long, long)>();
        return metrics.Where(m => seen.Add((m.Key, m.Timestamp, m.Step, double.IsNaN(m.Value) ? -1 : BitConverter.DoubleToInt64Bits(m.Value)))).ToList();
    }

    // Files under a folder (following the links run folders are made of), as artifact paths; sorted.
    private static IEnumerable<(string Relative, string File)> Files(string dir, string relative, int depth)
    {
        if (depth > 16) yield break;
        foreach (var file in Directory.EnumerateFiles(dir).Order(StringComparer.Ordinal))
            if (!Path.GetFileName(file).StartsWith('.')) yield return ($"{relative}/{Path.GetFileName(file)}", file);
        foreach (var sub in Directory.EnumerateDirectories(dir).Order(StringComparer.Ordinal))
            if (!Path.GetFileName(sub).StartsWith('.'))
                foreach (var f in Files(sub, $"{relative}/{Path.GetFileName(sub)}", depth + 1)) yield return f;
    }

    // metrics.json's values (either form) and the definition versions it records; a file of another shape sends nothing.
    private static (JsonObject? Values, IReadOnlyList<KeyValuePair<string, int>> Definitions) ReadMetrics(string path)
    {
        var document = ReadObject(path);
        if (document is null) return (null, []);
        try
        {
            var values = MetricsDocument.Values(document);
            var definitions = (document["definitions"] as JsonObject ?? new JsonObject()).Where(p => p.Value is JsonValue v && v.TryGetValue<int>(out _))
                .Select(p => KeyValuePair.Create(p.Key, (int)p.Value!)).OrderBy(p => p.Key, StringComparer.Ordinal).ToList();
            return (values, definitions);
        }
        catch (FormatException)
        {
            return (null, []);
        }
    }

    private static JsonObject? ReadObject(string path)
    {
        try
        {
            return File.Exists(path) ? JsonNode.Parse(File.ReadAllText(path)) as JsonObject : null;
        }
        catch (Exception e) when (e is IOException or JsonException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    private static long? Millis(string? iso) =>
        DateTimeOffset.TryParse(iso, CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind | DateTimeStyles.AssumeUniversal, out var t)
            ? t.ToUnixTimeMilliseconds() : null;

    private static double? AsNumber(JsonNode? node) =>
        node is JsonValue v && v.GetValueKind() == JsonValueKind.Number ? v.GetValue<double>() : null;

    // A metric value: a JSON number, or "NaN" / "Infinity" / "-Infinity" as run folders write them.
    private static double? Number(JsonNode? node) => node switch
    {
        JsonValue v when v.GetValueKind() == JsonValueKind.Number => v.GetValue<double>(),
        JsonValue v when v.GetValueKind() == JsonValueKind.String => (string?)v switch
        {
            "NaN" => double.NaN,
            "Infinity" => double.PositiveInfinity,
            "-Infinity" => double.NegativeInfinity,
            _ => null,
        },
        _ => null,
    };
}

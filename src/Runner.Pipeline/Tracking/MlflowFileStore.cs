using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Runner.Pipeline.Caching;
using YamlDotNet.RepresentationModel;

namespace Runner.Pipeline.Tracking;

/// <summary>
/// <see cref="IRunTracker"/> writing MLflow's file store (<c>mlruns/</c>) exactly as
/// <c>mlflow/store/tracking/file_store.py</c> lays it out: <c>&lt;exp&gt;/meta.yaml</c>,
/// <c>&lt;exp&gt;/&lt;run&gt;/meta.yaml</c>, <c>metrics/&lt;key&gt;</c> (one <c>"ts value step"</c> line per value),
/// <c>params/&lt;key&gt;</c> and <c>tags/&lt;key&gt;</c> (raw value, no newline), <c>artifacts/</c>. Every file is
/// written to a temp name in the run folder and renamed, and a metric file is rewritten with only
/// the lines it lacks added, so a repeated call never duplicates a record.
/// </summary>
public sealed partial class MlflowFileStore : IRunTracker
{
    private readonly string _workingDirectory;

    /// <summary>A store rooted at <paramref name="root"/> (absolute).</summary>
    public MlflowFileStore(string root, string workingDirectory)
    {
        Root = Path.GetFullPath(root);
        _workingDirectory = workingDirectory;
    }

    /// <summary>The store's root folder.</summary>
    public string Root { get; }

    /// <inheritdoc/>
    public string Display
    {
        get
        {
            var relative = Path.GetRelativePath(_workingDirectory, Root);
            return relative.StartsWith("..", StringComparison.Ordinal) || Path.IsPathRooted(relative) ? Root : "./" + relative;
        }
    }

    /// <summary>MLflow's run status numbers in a run's meta.yaml.</summary>
    public static int StatusNumber(string status) => status switch
    {
        "RUNNING" => 1,
        "SCHEDULED" => 2,
        "FINISHED" => 3,
        "FAILED" => 4,
        "KILLED" => 5,
        _ => throw new ArgumentException($"unknown MLflow run status '{status}'", nameof(status)),
    };

    /// <inheritdoc/>
    public async Task<string> GetOrCreateExperimentAsync(string name, CancellationToken cancellationToken)
    {
        try
        {
            var fresh = !Directory.Exists(Root);
            Directory.CreateDirectory(Path.Combine(Root, ".trash"));
            // One writer at a time decides whether the name exists, so two processes do not create it
            // twice. (MLflow lists only folders here, so the transient lock file is invisible to it.)
            using var gate = await CacheLock.AcquireAsync(Path.Combine(Root, ".runner-experiments.lock"), new LockOptions(), null, cancellationToken).ConfigureAwait(false);
            var now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
            if (fresh || !Directory.Exists(Path.Combine(Root, "0")) && !Experiments(Root).Any())
                WriteExperiment("0", "Default", now);
            foreach (var (dir, meta) in Experiments(Root))
                if (meta.GetValueOrDefault("name") == name) return meta.GetValueOrDefault("experiment_id") ?? Path.GetFileName(dir);
            foreach (var (_, meta) in Experiments(Path.Combine(Root, ".trash")))
                if (meta.GetValueOrDefault("name") == name)
                    throw new TrackingException(TrackingFailure.Rejected,
                        $"the MLflow experiment '{name}' is deleted ({Path.Combine(Root, ".trash")}); restore it or name another in tracking.mlflow.experiment");
            string id;
            do id = NewExperimentId();
            while (Directory.Exists(Path.Combine(Root, id)));
            WriteExperiment(id, name, now);
            return id;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new TrackingException(TrackingFailure.Rejected, $"cannot write the MLflow file store {Root}: {e.Message}", e);
        }
    }

    private void WriteExperiment(string id, string name, long now)
    {
        var dir = Directory.CreateDirectory(Path.Combine(Root, id)).FullName;
        WriteAtomic(dir, Path.Combine(dir, "meta.yaml"), Yaml([
            ("artifact_location", Str(FileUri(dir))),
            ("creation_time", now.ToString(CultureInfo.InvariantCulture)),
            ("experiment_id", Str(id)),
            ("last_update_time", now.ToString(CultureInfo.InvariantCulture)),
            ("lifecycle_stage", Str("active")),
            ("name", Str(name)),
        ]));
    }

    // MLflow's file store ids are random 18-19 digit integers.
    private static string NewExperimentId()
    {
        Span<byte> bytes = stackalloc byte[8];
        RandomNumberGenerator.Fill(bytes);
        var n = BitConverter.ToUInt64(bytes) % 900_000_000_000_000_000UL + 100_000_000_000_000_000UL;
        return n.ToString(CultureInfo.InvariantCulture);
    }

    private static IEnumerable<(string Dir, Dictionary<string, string?> Meta)> Experiments(string root)
    {
        if (!Directory.Exists(root)) yield break;
        foreach (var dir in Directory.EnumerateDirectories(root).Order(StringComparer.Ordinal))
        {
            if (Path.GetFileName(dir).StartsWith('.')) continue;
            var meta = ReadYaml(Path.Combine(dir, "meta.yaml"));
            if (meta is not null) yield return (dir, meta);
        }
    }

    /// <inheritdoc/>
    public Task<MlflowRunHandle> CreateRunAsync(string experimentId, MlflowRunStart start, bool mayExist, CancellationToken cancellationToken)
    {
        return Guarded(() =>
        {
            var runDir = Path.Combine(Root, experimentId, start.Token);
            var handle = new MlflowRunHandle(start.Token, experimentId, FileUri(Path.Combine(runDir, "artifacts")));
            if (File.Exists(Path.Combine(runDir, "meta.yaml"))) return handle;
            Directory.CreateDirectory(runDir);
            foreach (var sub in new[] { "metrics", "params", "tags", "artifacts" }) Directory.CreateDirectory(Path.Combine(runDir, sub));
            foreach (var (key, value) in start.Tags.Append(KeyValuePair.Create("mlflow.runName", start.Name)).DistinctBy(t => t.Key))
                WriteValue(runDir, "tags", key, value);
            WriteRunMeta(runDir, new RunMeta(start.Token, experimentId, start.Name, start.UserId, start.StartTime, null, "RUNNING", Deleted: true));
            return handle;
        });
    }

    /// <inheritdoc/>
    public Task LogBatchAsync(MlflowRunHandle run, IReadOnlyList<MlflowMetric> metrics, IReadOnlyList<KeyValuePair<string, string>> parameters,
        IReadOnlyList<KeyValuePair<string, string>> tags, bool mayBeLogged, CancellationToken cancellationToken)
    {
        return Guarded(() =>
        {
            var runDir = RunDir(run);
            foreach (var (key, value) in parameters) WriteValue(runDir, "params", key, value);
            foreach (var (key, value) in tags) WriteValue(runDir, "tags", key, value);
            foreach (var group in metrics.GroupBy(m => m.Key, StringComparer.Ordinal))
            {
                var file = Path.Combine(runDir, "metrics", Relative(group.Key));
                var existing = File.Exists(file) ? File.ReadAllText(file) : "";
                var have = ParseMetricLines(group.Key, existing);
                var sb = new StringBuilder(existing);
                foreach (var m in group)
                {
                    if (have.Any(h => h.SameAs(m))) continue;
                    have.Add(m);
                    sb.Append(CultureInfo.InvariantCulture, $"{m.Timestamp} {PythonFloat.Format(m.Value)} {m.Step}\n");
                }
                if (sb.Length != existing.Length) WriteAtomic(runDir, file, sb.ToString());
            }
            return true;
        });
    }

    /// <summary>Parses a metric file's lines (<c>ts value [step]</c>, split on single spaces as MLflow does).</summary>
    public static List<MlflowMetric> ParseMetricLines(string key, string text)
    {
        var list = new List<MlflowMetric>();
        foreach (var line in text.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            var f = line.Split(' ');
            if (f.Length < 2 || !long.TryParse(f[0], CultureInfo.InvariantCulture, out var ts) || !PythonFloat.TryParse(f[1], out var v))
                throw new FormatException($"malformed metric line '{line}' of {key}");
            list.Add(new MlflowMetric(key, v, ts, f.Length > 2 && long.TryParse(f[2], CultureInfo.InvariantCulture, out var s) ? s : 0));
        }
        return list;
    }

    /// <inheritdoc/>
    public Task UploadArtifactAsync(MlflowRunHandle run, string artifactPath, string localFile, CancellationToken cancellationToken) =>
        Guarded(() =>
        {
            CopyArtifact(new Uri(run.ArtifactUri).LocalPath, artifactPath, localFile);
            return true;
        });

    /// <summary>Copies <paramref name="localFile"/> to <c>root/artifactPath</c> through a temp file next to <paramref name="root"/>.</summary>
    internal static void CopyArtifact(string root, string artifactPath, string localFile)
    {
        var target = Path.Combine(root, Relative(artifactPath));
        Directory.CreateDirectory(Path.GetDirectoryName(target)!);
        var temp = Path.Combine(Path.GetDirectoryName(root)!, $".artifact.{Guid.NewGuid():N}.tmp");
        try
        {
            File.Copy(localFile, temp, overwrite: true);
            File.Move(temp, target, overwrite: true);
        }
        finally
        {
            if (File.Exists(temp)) File.Delete(temp);
        }
    }

    /// <inheritdoc/>
    public Task UpdateRunAsync(MlflowRunHandle run, string status, long endTime, CancellationToken cancellationToken) =>
        Guarded(() =>
        {
            var runDir = RunDir(run);
            var meta = ReadYaml(Path.Combine(runDir, "meta.yaml")) ?? throw new TrackingException(TrackingFailure.Rejected, $"{runDir}/meta.yaml is missing");
            WriteRunMeta(runDir, new RunMeta(run.RunId, run.ExperimentId, meta.GetValueOrDefault("run_name") ?? "", meta.GetValueOrDefault("user_id") ?? "",
                long.TryParse(meta.GetValueOrDefault("start_time"), CultureInfo.InvariantCulture, out var s) ? s : 0, endTime, status, Deleted: false));
            return true;
        });

    private sealed record RunMeta(string RunId, string ExperimentId, string Name, string User, long Start, long? End, string Status, bool Deleted);

    private static void WriteRunMeta(string runDir, RunMeta m)
    {
        var fields = new List<(string, string)>
        {
            ("artifact_uri", Str(FileUri(Path.Combine(runDir, "artifacts")))),
        };
        if (m.Deleted) fields.Add(("deleted_time", "null"));
        fields.AddRange([
            ("end_time", m.End?.ToString(CultureInfo.InvariantCulture) ?? "null"),
            ("entry_point_name", "''"),
            ("experiment_id", Str(m.ExperimentId)),
            ("lifecycle_stage", "active"),
            ("run_id", Str(m.RunId)),
            ("run_name", Str(m.Name)),
            ("source_name", "''"),
            ("source_type", "4"),
            ("source_version", "''"),
            ("start_time", m.Start.ToString(CultureInfo.InvariantCulture)),
            ("status", StatusNumber(m.Status).ToString(CultureInfo.InvariantCulture)),
            ("tags", "[]"),
            ("user_id", Str(m.User)),
        ]);
        WriteAtomic(runDir, Path.Combine(runDir, "meta.yaml"), Yaml(fields));
    }

    private string RunDir(MlflowRunHandle run)
    {
        var dir = Path.Combine(Root, run.ExperimentId, run.RunId);
        return Directory.Exists(dir) ? dir : throw new TrackingException(TrackingFailure.Rejected, $"the MLflow run {run.RunId} is not in {Root} (was the store moved or deleted?)");
    }

    private static void WriteValue(string runDir, string kind, string key, string value) =>
        WriteAtomic(runDir, Path.Combine(runDir, kind, Relative(key)), value);

    // Temp files go to the run (or experiment) folder itself, never into metrics/params/tags, where
    // MLflow would read a leftover as a key.
    private static void WriteAtomic(string tempDir, string path, string text)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        if (File.Exists(path) && File.ReadAllText(path) == text) return;
        var temp = Path.Combine(tempDir, $".{Path.GetFileName(path)}.{Guid.NewGuid():N}.tmp");
        File.WriteAllText(temp, text, new UTF8Encoding(false));
        File.Move(temp, path, overwrite: true);
    }

    // A key with '/' is a path inside metrics/, params/, tags/ and artifacts/ (MLflow does the same).
    private static string Relative(string key) => Path.Combine(key.Split('/', StringSplitOptions.RemoveEmptyEntries));

    private static Task<T> Guarded<T>(Func<T> action)
    {
        try
        {
            return Task.FromResult(action());
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return Task.FromException<T>(new TrackingException(TrackingFailure.Rejected, $"cannot write the MLflow file store: {e.Message}", e));
        }
    }

    /// <summary>An absolute <c>file://</c> URI of <paramref name="path"/>, as MLflow stores artifact locations.</summary>
    public static string FileUri(string path) => new Uri(Path.GetFullPath(path)).AbsoluteUri;

    private static string Yaml(IEnumerable<(string Key, string Value)> fields) =>
        string.Concat(fields.Select(f => $"{f.Key}: {f.Value}\n"));

    /// <summary>
    /// A YAML scalar for a string as PyYAML's safe_dump writes one: plain where that reads back as the
    /// same string, else single-quoted (or double-quoted with escapes when it has control characters).
    /// </summary>
    public static string Str(string value)
    {
        if (value.Any(char.IsControl))
        {
            var sb = new StringBuilder("\"");
            foreach (var c in value)
                sb.Append(c switch
                {
                    '"' => "\\\"",
                    '\\' => "\\\\",
                    '\n' => "\\n",
                    '\t' => "\\t",
                    _ when char.IsControl(c) => $"\\x{(int)c:x2}",
                    _ => c.ToString(),
                });
            return sb.Append('"').ToString();
        }
        var plain = value.Length > 0
            && value.All(c => char.IsAsciiLetterOrDigit(c) || "_./=,+:@%-".Contains(c))
            && !value.EndsWith(':') && !value.Contains(": ", StringComparison.Ordinal)
            && !"-?:,[]{}#&*!|>'\"%@`".Contains(value[0])
            && !ResolvesToNonString().IsMatch(value);
        return plain ? value : "'" + value.Replace("'", "''", StringComparison.Ordinal) + "'";
    }

    // PyYAML's implicit resolvers (YAML 1.1): what would read back as a bool, null, int, float or timestamp.
    [System.Text.RegularExpressions.GeneratedRegex(@"^(?:yes|Yes|YES|no|No|NO|true|True|TRUE|false|False|FALSE|on|On|ON|off|Off|OFF|y|Y|n|N|~|null|Null|NULL"
        + @"|[-+]?(?:0b[0-1_]+|0[0-7_]+|(?:0|[1-9][0-9_]*)|0x[0-9a-fA-F_]+|[1-9][0-9_]*(?::[0-5]?[0-9])+)"
        + @"|[-+]?(?:(?:[0-9][0-9_]*)?\.[0-9_]*(?:[eE][-+][0-9]+)?|[0-9][0-9_]*(?::[0-5]?[0-9])+\.[0-9_]*|\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))"
        + @"|[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}.*)$")]
    private static partial System.Text.RegularExpressions.Regex ResolvesToNonString();

    /// <summary>Reads a flat YAML mapping of scalars (a meta.yaml); null when the file is missing or unreadable.</summary>
    public static Dictionary<string, string?>? ReadYaml(string path)
    {
        try
        {
            var stream = new YamlStream();
            using (var reader = new StreamReader(path)) stream.Load(reader);
            if (stream.Documents.Count == 0 || stream.Documents[0].RootNode is not YamlMappingNode map) return null;
            var result = new Dictionary<string, string?>(StringComparer.Ordinal);
            foreach (var (k, v) in map.Children)
                if (k is YamlScalarNode { Value: { } key })
                    result[key] = v is YamlScalarNode s && !(s.Style == YamlDotNet.Core.ScalarStyle.Plain && s.Value is "null" or "~" or "") ? s.Value : null;
            return result;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or YamlDotNet.Core.YamlException)
        {
            return null;
        }
    }

    /// <inheritdoc/>
    public void Dispose()
    {
    }
}

using System.Collections.Concurrent;
using System.Text.Json.Nodes;
using Runner.Pipeline.Caching;
using Runner.Pipeline.Runs;
using Runner.Pipeline.Spec;

namespace Runner.Pipeline.Stages;

// Grouped stages (IGroupStage): points that share a pass are computed together, once, when the first of them needs it.
public sealed partial class PipelineExecutor
{
    /// <summary>Which points of this invocation share a pass of which grouped stage.</summary>
    private sealed class StageGroups
    {
        private readonly Dictionary<(int Point, string Stage), StageGroup> _of = [];

        public void Add(ResolvedPoint point, string stage, StageGroup group) => _of[(point.Index, stage)] = group;

        public StageGroup? Of(ResolvedPoint point, string stage) => _of.GetValueOrDefault((point.Index, stage));

        /// <summary>True when a group the point belongs to has started its pass (its entry is being or was computed with the others).</summary>
        public bool Started(ResolvedPoint point) => _of.Where(p => p.Key.Point == point.Index).Any(p => p.Value.Started);
    }

    /// <summary>One pass: its id (shown as <c>stream</c> in stages.json), its stage and members, computed at most once.</summary>
    private sealed class StageGroup(string id, IGroupStage stage)
    {
        public string Id { get; } = id;

        public IGroupStage Stage { get; } = stage;

        /// <summary>(point, key) of every member, in point order.</summary>
        public List<(ResolvedPoint Point, string Key, JsonNode? Slice)> Members { get; } = [];

        private Task<IReadOnlyDictionary<string, (Resolution? Resolution, Exception? Error)>>? _run;

        /// <summary>True once a member has started the pass.</summary>
        public bool Started => Volatile.Read(ref _run) is not null;

        /// <summary>The pass, started by the first member that needs it.</summary>
        public Task<IReadOnlyDictionary<string, (Resolution? Resolution, Exception? Error)>> RunOnce(Func<Task<IReadOnlyDictionary<string, (Resolution? Resolution, Exception? Error)>>> start)
        {
            lock (this) return _run ??= start();
        }
    }

    // Every stage key of every point (which runs each stage's planning checks), and the groups of grouped stages.
    private StageGroups Groups(IReadOnlyList<ResolvedPoint> points)
    {
        var groups = new StageGroups();
        var byId = new Dictionary<string, StageGroup>(StringComparer.Ordinal);
        foreach (var point in points)
        {
            var keys = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (var stage in _graph.Stages)
            {
                if (!stage.AppliesTo(point)) continue;
                var inputs = stage.InputsFor(point).Where(keys.ContainsKey).ToDictionary(n => n, n => keys[n], StringComparer.Ordinal);
                var slice = stage.SpecSlice(point);
                var key = keys[stage.Name] = StageKey.Compute(stage.Name, stage.Version, SpecSlices.Without(slice, stage.ExcludedFields), inputs, _options.EnvironmentFingerprint);
                if (stage is not IGroupStage grouped || grouped.GroupSlice(point) is not { } groupSlice) continue;
                var shared = inputs.Where(p => grouped.SharedInputs.Contains(p.Key)).ToDictionary(p => p.Key, p => p.Value, StringComparer.Ordinal);
                var id = StageKey.Compute(stage.Name + ".group", stage.Version, groupSlice, shared, _options.EnvironmentFingerprint)[..16];
                if (!byId.TryGetValue(id, out var group)) byId[id] = group = new StageGroup(id, grouped);
                group.Members.Add((point, key, slice));
                groups.Add(point, stage.Name, group);
            }
        }
        return groups;
    }

    // A member's entry: from the group's one pass (started by the first member that needs it).
    private async Task<Resolution> ResolveInGroupAsync(StageGroup group, ResolvedPoint point, string key, bool forced,
        ConcurrentDictionary<string, Lazy<Task<Resolution>>> shared, IReadOnlySet<string> forcedStages, CancellationToken ct)
    {
        var outcomes = await group.RunOnce(() => Task.Run(() => PassAsync(group, forced, shared, forcedStages, ct), ct)).ConfigureAwait(false);
        var (resolution, error) = outcomes[key];
        if (error is not null) throw error;
        return resolution!;
    }

    // The group's pass: the members whose entries are missing, computed together under their locks (taken in key order).
    private async Task<IReadOnlyDictionary<string, (Resolution?, Exception?)>> PassAsync(StageGroup group, bool forced,
        ConcurrentDictionary<string, Lazy<Task<Resolution>>> shared, IReadOnlySet<string> forcedStages, CancellationToken ct)
    {
        var stage = group.Stage;
        var results = new Dictionary<string, (Resolution?, Exception?)>(StringComparer.Ordinal);
        var members = group.Members.DistinctBy(m => m.Key).OrderBy(m => m.Key, StringComparer.Ordinal).ToList();
        var locks = new List<CacheLock>();
        var pendings = new List<PendingEntry>();
        try
        {
            var todo = new List<((ResolvedPoint Point, string Key, JsonNode? Slice) Member, Dictionary<string, Resolution> Inputs)>();
            foreach (var m in members)
            {
                void Warn(string text) => Emit(new PipelineMessage { Level = MessageLevel.Warning, Text = text, PointIndex = m.Point.Index, RunName = m.Point.RunName, Stage = stage.Name });
                if (!forced && _cache.TryGet(stage.Name, m.Key, Warn) is { } hit)
                {
                    results[m.Key] = (new Resolution(hit, StageStatus.Cached), null);
                    continue;
                }
                locks.Add(await _cache.LockAsync(stage.Name, m.Key,
                    holder => Emit(new StageWaiting { PointIndex = m.Point.Index, RunName = m.Point.RunName, Stage = stage.Name, Key = m.Key, Holder = holder }), ct).ConfigureAwait(false));
                if (!forced && _cache.TryGet(stage.Name, m.Key, Warn) is { } late)
                {
                    results[m.Key] = (new Resolution(late, StageStatus.Cached), null);
                    continue;
                }
                try
                {
                    todo.Add((m, await InputsAsync(m.Point, stage, shared, forcedStages, ct).ConfigureAwait(false)));
                }
                catch (StageFailedException e)
                {
                    results[m.Key] = (null, e);   // an input of this member failed
                }
            }
            if (todo.Count == 0) return results;

            var contexts = new List<StageContext>();
            foreach (var (m, inputs) in todo)
            {
                Emit(new StageStarted { PointIndex = m.Point.Index, RunName = m.Point.RunName, Stage = stage.Name, Key = m.Key, Forced = forced });
                var pending = _cache.BeginWrite(stage.Name, m.Key);
                pendings.Add(pending);
                contexts.Add(Context(m.Point, stage, m.Key, m.Slice, inputs, pending, ct));
            }
            IReadOnlyList<GroupOutcome> outcomes;
            try
            {
                outcomes = await stage.RunGroupAsync(contexts, ct).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                throw;
            }
            catch (Exception e)
            {
                outcomes = contexts.Select(_ => new GroupOutcome(null, e)).ToList();
            }
            for (var i = 0; i < todo.Count; i++)
            {
                var ((point, key, slice), inputs) = todo[i];
                var outcome = outcomes[i];
                if (outcome.Error is not null || outcome.Result is null)
                {
                    results[key] = (null, new StageFailedException(stage.Name, point, outcome.Error ?? new InvalidOperationException($"stage {stage.Name} returned no result")));
                    continue;
                }
                void Warn(string text) => Emit(new PipelineMessage { Level = MessageLevel.Warning, Text = text, PointIndex = point.Index, RunName = point.RunName, Stage = stage.Name });
                try
                {
                    results[key] = (Publish(stage, key, slice, inputs, outcome.Result, pendings[i], contexts[i], forced, Warn), null);
                }
                catch (InvalidOperationException e)
                {
                    results[key] = (null, new StageFailedException(stage.Name, point, e));
                }
            }
            return results;
        }
        finally
        {
            foreach (var p in pendings) p.Dispose();
            foreach (var l in locks) l.Dispose();
        }
    }

    // The inputs of a grouped stage for a member: its earlier stages, resolved through the same shared table as its own run will
    // (so a member that has not started yet finds them done).
    private async Task<Dictionary<string, Resolution>> InputsAsync(ResolvedPoint point, IStage upTo,
        ConcurrentDictionary<string, Lazy<Task<Resolution>>> shared, IReadOnlySet<string> forced, CancellationToken ct)
    {
        var done = new Dictionary<string, Resolution>(StringComparer.Ordinal);
        foreach (var stage in _graph.Stages)
        {
            if (ReferenceEquals(stage, upTo)) break;
            if (!stage.AppliesTo(point)) continue;
            var inputs = stage.InputsFor(point).Where(done.ContainsKey).ToDictionary(n => n, n => done[n], StringComparer.Ordinal);
            var slice = stage.SpecSlice(point);
            var key = StageKey.Compute(stage.Name, stage.Version, SpecSlices.Without(slice, stage.ExcludedFields),
                inputs.ToDictionary(p => p.Key, p => p.Value.Entry.Key), _options.EnvironmentFingerprint);
            var lazy = shared.GetOrAdd($"{stage.Name}/{key}",
                new Lazy<Task<Resolution>>(() => Task.Run(() => ResolveAsync(point, stage, key, slice, inputs, forced.Contains(stage.Name), ct), ct)));
            done[stage.Name] = await lazy.Value.ConfigureAwait(false);
        }
        return upTo.InputsFor(point).Where(done.ContainsKey).ToDictionary(n => n, n => done[n], StringComparer.Ordinal);
    }
}

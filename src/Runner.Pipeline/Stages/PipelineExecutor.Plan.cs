using Runner.Pipeline.Caching;
using Runner.Pipeline.Spec;

namespace Runner.Pipeline.Stages;

public sealed partial class PipelineExecutor
{
    /// <summary>
    /// The dry-run plan for the selected points: each stage's key and whether it is cached, and what a
    /// run would do. Runs nothing, takes no lock, changes nothing on disk. With <paramref name="verify"/> false an
    /// entry counts as cached when its manifest exists (no file is hashed: what the pre-run disk check needs).
    /// </summary>
    public ExecutionPlan Plan(IReadOnlyList<ResolvedPoint> points, bool verify = true)
    {
        var selected = Select(points);
        var forced = Forced();
        var probes = new Dictionary<string, CacheProbe>(StringComparer.Ordinal);
        var firstAction = new Dictionary<string, StageAction>(StringComparer.Ordinal);
        var plans = new List<PointPlan>();
        foreach (var point in selected)
        {
            var keys = new Dictionary<string, string>(StringComparer.Ordinal);
            var stages = new List<StagePlan>();
            foreach (var stage in _graph.Stages)
            {
                if (!stage.AppliesTo(point)) continue;
                var inputs = stage.InputsFor(point).Where(keys.ContainsKey).ToDictionary(n => n, n => keys[n], StringComparer.Ordinal);
                var key = StageKey.For(stage, point, inputs, _options.EnvironmentFingerprint);
                keys[stage.Name] = key;
                var id = $"{stage.Name}/{key}";
                if (!probes.TryGetValue(id, out var probe)) probes[id] = probe = verify ? _cache.Probe(stage.Name, key) : _cache.Peek(stage.Name, key);
                var cached = probe.Status == CacheProbeStatus.Valid;
                var isForced = forced.Contains(stage.Name);
                StageAction action;
                if (firstAction.TryGetValue(id, out var first)) action = first == StageAction.Reuse ? StageAction.Reuse : StageAction.Shared;
                else firstAction[id] = action = cached && !isForced ? StageAction.Reuse : StageAction.Compute;
                stages.Add(new StagePlan(stage.Name, key, cached, action, isForced, probe.Reason));
            }
            plans.Add(new PointPlan(point, stages));
        }
        return new ExecutionPlan(plans);
    }
}

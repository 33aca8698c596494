using Runner.Core;
using Runner.Pipeline.Caching;

namespace Runner.Pipeline.Stages;

/// <summary>
/// The registered stages in dependency order. Stages are registered explicitly in one place (no
/// reflection); inputs must name registered stages and form no cycle.
/// </summary>
public sealed class StageGraph
{
    private readonly Dictionary<string, IStage> _byName;

    /// <summary>Orders <paramref name="stages"/> so that inputs come first (ties keep registration order).</summary>
    public StageGraph(IEnumerable<IStage> stages)
    {
        var list = stages.ToList();
        _byName = new Dictionary<string, IStage>(StringComparer.Ordinal);
        foreach (var s in list)
        {
            if (!StageCache.StageNamePattern().IsMatch(s.Name)) throw new ArgumentException($"stage name '{s.Name}' must be lower case letters, digits, '_' or '-'");
            if (!_byName.TryAdd(s.Name, s)) throw new ArgumentException($"stage '{s.Name}' is registered twice");
        }
        foreach (var s in list)
            foreach (var input in s.Inputs)
                if (!_byName.ContainsKey(input)) throw new ArgumentException($"stage '{s.Name}' reads '{input}', which is not registered");

        var ordered = new List<IStage>();
        var state = new Dictionary<string, int>(); // 1 visiting, 2 done
        void Visit(IStage s, List<string> path)
        {
            if (state.TryGetValue(s.Name, out var st))
            {
                if (st == 1) throw new ArgumentException($"stages form a cycle: {string.Join(" -> ", path.SkipWhile(p => p != s.Name))} -> {s.Name}");
                return;
            }
            state[s.Name] = 1;
            path.Add(s.Name);
            foreach (var input in s.Inputs) Visit(_byName[input], path);
            path.RemoveAt(path.Count - 1);
            state[s.Name] = 2;
            ordered.Add(s);
        }
        foreach (var s in list) Visit(s, []);
        Stages = ordered;
    }

    /// <summary>The stages, each after all of its inputs.</summary>
    public IReadOnlyList<IStage> Stages { get; }

    /// <summary>The stage called <paramref name="name"/>.</summary>
    public IStage this[string name] => _byName[name];

    /// <summary>
    /// <paramref name="names"/> and every stage that depends on them, directly or not (what --force
    /// recomputes). An unknown name is a usage error (exit 2) with a suggestion.
    /// </summary>
    public IReadOnlySet<string> WithDownstream(IEnumerable<string> names)
    {
        var result = new HashSet<string>(StringComparer.Ordinal);
        foreach (var name in names)
        {
            if (!_byName.ContainsKey(name))
            {
                var known = Stages.Select(s => s.Name).ToList();
                var hint = Spec.Suggest.Closest(name, known) is { } best ? $"did you mean {best}? " : "";
                throw new RunnerException($"--force {name}: no such stage; {hint}(stages: {string.Join(", ", known)})", exitCode: 2);
            }
            result.Add(name);
        }
        // Stages come in dependency order, so one pass collects everything downstream.
        foreach (var s in Stages)
            if (s.Inputs.Any(result.Contains)) result.Add(s.Name);
        return result;
    }
}

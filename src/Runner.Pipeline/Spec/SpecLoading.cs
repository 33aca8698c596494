using System.Text.Json;
using System.Text.Json.Nodes;
using Runner.Pipeline.Hashing;

namespace Runner.Pipeline.Spec;

/// <summary>One run of the loader (the steps <see cref="SpecLoader"/> describes), with its error list.</summary>
internal sealed class SpecLoading(SpecLoadOptions options)
{
    private readonly SpecErrors _errors = new();
    private readonly Func<string, string?> _env = options.Environment ?? Environment.GetEnvironmentVariable;
    private readonly string _cwd = Path.GetFullPath(options.WorkingDirectory ?? Directory.GetCurrentDirectory());

    public SpecLoadResult Run(string path, string? text)
    {
        var full = Path.GetFullPath(path, _cwd);
        var includes = new IncludeResolver(_errors, _env, Display);
        var root = includes.Load(full, text, null, "", []);
        if (root is null) return Failed();

        root = OverrideApplier.Apply(root, options.Overrides, _cwd, _errors);
        root = (SpecMapping)Interpolator.Apply(root, "", _env, _errors);
        var plan = SweepPlan.Parse(root.Find("sweep")?.Value, _errors);
        root = root.Without("sweep");
        if (!plan.IsValid)
        {
            Validate(root, _errors);
            return Failed();
        }

        var names = plan.Dimensions.Count == 0 ? [] : RunNames.For(plan);
        var count = plan.PointCount;
        var jsons = new JsonObject[count];
        var found = new List<(SpecError Error, int Point, int Count)>();
        for (var p = 0; p < count; p++)
        {
            var point = root;
            foreach (var (key, value) in plan.Point(p))
                point = (SpecMapping)SpecTree.Set(point, key.Split('.').Select(k => new PathSegment(k, null)).ToList(), 0, value, _ => { });
            var local = new SpecErrors();
            jsons[p] = SpecJson.Freeze(Validate(point, local));
            foreach (var e in local.Sorted())
            {
                var i = found.FindIndex(f => f.Error.ToString() == e.ToString());
                if (i < 0) found.Add((e, p, 1));
                else found[i] = found[i] with { Count = found[i].Count + 1 };
            }
        }
        // An error every point shares is reported once as it is; one that only some points have names the first of them.
        foreach (var (e, p, n) in found)
            _errors.AddRange([n == count ? e : e with { Message = $"{e.Message} (in sweep point {p + 1} of {count}: {names[p]})" }]);
        if (_errors.Count > 0) return Failed();

        var points = new List<ResolvedPoint>();
        for (var p = 0; p < count; p++)
        {
            var json = jsons[p];
            var hash = CanonicalJson.Sha256(json);
            if (points.FirstOrDefault(q => q.SpecHash == hash) is { } same)
            {
                var sweep = (SpecNode?)plan.Dimensions[0].Lists[0] ?? root;
                _errors.Add(sweep.Source, sweep.Line, sweep.Column, "sweep",
                    $"points {same.Index + 1} ({same.RunName}) and {p + 1} ({names[p]}) resolve to the same spec");
                continue;
            }
            var name = json["name"]!.GetValue<string>();
            points.Add(new ResolvedPoint
            {
                Experiment = name,
                RunName = plan.Dimensions.Count == 0 ? name : names[p],
                Index = p,
                Varied = plan.Keys.Select(k => new KeyValuePair<string, JsonNode?>(k, At(json, k)?.DeepClone())).ToList(),
                Json = json,
                Spec = json.Deserialize<ExperimentSpec>(CanonicalJson.SerializerOptions)!,
                SpecHash = hash,
            });
        }
        if (_errors.Count > 0) return Failed();
        return new SpecLoadResult
        {
            Errors = [],
            Experiment = new LoadedExperiment
            {
                SpecPath = full,
                Name = points[0].Experiment,
                SweepKeys = plan.Keys,
                Points = points,
                Files = includes.Files.Distinct().ToList(),
            },
        };
    }

    private JsonObject Validate(SpecMapping root, SpecErrors errors)
    {
        var v = new SpecValidation(errors, _env, Display);
        var json = SpecSchema.Root.Build(root, root, "", v);
        SpecChecks.Run(v, root);
        return json;
    }

    private SpecLoadResult Failed() => new() { Errors = _errors.Sorted() };

    /// <summary>Relative to the working directory when inside it, else absolute.</summary>
    private string Display(string fullPath)
    {
        var relative = Path.GetRelativePath(_cwd, fullPath);
        return relative == ".." || relative.StartsWith("../", StringComparison.Ordinal) || Path.IsPathRooted(relative) ? fullPath : relative;
    }

    /// <summary>The value at a dotted key path of the resolved tree.</summary>
    internal static JsonNode? At(JsonObject root, string dotted)
    {
        JsonNode? node = root;
        foreach (var key in dotted.Split('.'))
            node = node is JsonObject o ? o[key] : null;
        return node;
    }
}

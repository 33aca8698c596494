using System.Text.Json.Nodes;

namespace Runner.Pipeline.Spec;

/// <summary>Rules that relate keys of different sections, run once every key is converted.</summary>
internal static class SpecChecks
{
    public static void Run(SpecValidation v, SpecNode root)
    {
        var toy = Text(v, "model.source") == "toy";
        if (Int(v, "sae.k") is { } k && Int(v, "sae.dict_size") is { } dictSize && k > dictSize)
            Error(v, root, "sae.k", $"must be <= sae.dict_size ({dictSize}), got {k}");
        if (Int(v, "sae.batch_size") is { } batch && Int(v, "sae.tokens") is { } tokens && batch > tokens)
            Error(v, root, "sae.batch_size", $"must be <= sae.tokens ({tokens}), got {batch}");
        if (toy && Int(v, "hook.layer") is { } layer && Int(v, "model.toy.layers") is { } layers && layer >= layers)
            Error(v, root, "hook.layer", $"must be < model.toy.layers ({layers}), got {layer}");
        if (toy && Int(v, "data.context") is { } context && Int(v, "model.toy.context") is { } toyContext && context > toyContext)
            Error(v, root, "data.context", $"must be <= model.toy.context ({toyContext}), got {context}");
        if (toy && Int(v, "model.toy.heads") is { } heads && Int(v, "model.toy.d_model") is { } dModel && dModel % heads != 0)
            Error(v, root, "model.toy.heads", $"must divide model.toy.d_model ({dModel}), got {heads}");

        var synthetic = !v.IsBroken("data.synthetic") && v.Values["data.synthetic"] is not null;
        // The toy model's word-level vocabulary covers only the corpus it was pretrained on.
        if (toy && new[] { "data.files", "data.jsonl" }.FirstOrDefault(p => !v.IsBroken(p) && v.Values[p] is not null) is { } textSource)
            Error(v, root, textSource, "conflicts with model.source toy (the toy model's word-level vocabulary covers only data.corpus: planted-topics); use model.source: hf for text files");
        if (synthetic && v.Values.GetValueOrDefault("evaluate.ce_loss") is JsonValue ce && ce.GetValue<bool>() && v.Nodes.ContainsKey("evaluate.ce_loss"))
            Error(v, root, "evaluate.ce_loss", "conflicts with data.synthetic (synthetic data has no model to splice into)");

        var clamps = Array(v, "steer.clamps");
        var ablate = Array(v, "steer.ablate");
        if (synthetic && (clamps?.Count > 0 || ablate?.Count > 0))
            Error(v, root, clamps?.Count > 0 ? "steer.clamps" : "steer.ablate", "conflicts with data.synthetic (synthetic data has no model to steer)");
        else if ((clamps?.Count > 0 || ablate?.Count > 0) && Array(v, "steer.prompts") is { Count: 0 } && !IsSet(v, "steer.topic_prompts"))
            Error(v, root, "steer.prompts", "must not be empty when steer.clamps or steer.ablate is set");

        // Topic prompts and measured topics need the planted corpus's ground truth, i.e. the toy model.
        var topics = Core.Data.Planted.PlantedVocabulary.Create().Topics;
        if (Text(v, "steer.topic") is { } topic)
        {
            if (!toy) Error(v, root, "steer.topic", "needs model.source: toy (ground-truth topics come with the planted-topics corpus the toy model reads)");
            else if (!topics.Contains(topic)) Error(v, root, "steer.topic", $"unknown topic '{topic}'{Suggestion(topic, topics)}; topics: {string.Join(", ", topics)}");
        }
        for (var i = 0; i < (clamps?.Count ?? 0); i++)
            if ((clamps![i] as JsonObject)?["on"] is JsonValue on && on.TryGetValue<string>(out var set) && set == "topic_prompts" && !IsSet(v, "steer.topic_prompts"))
                Error(v, root, $"steer.clamps[{i}].on", "topic_prompts needs steer.topic and steer.topic_prompts");
        if (Text(v, "steer.ablate_on") == "topic_prompts" && !IsSet(v, "steer.topic_prompts"))
            Error(v, root, "steer.ablate_on", "topic_prompts needs steer.topic and steer.topic_prompts");
        if (toy)
        {
            var named = (clamps ?? []).Select((c, i) => (path: $"steer.clamps[{i}].feature", node: (c as JsonObject)?["feature"]))
                .Concat((ablate ?? []).Select((a, i) => (path: $"steer.ablate[{i}]", node: a)));
            foreach (var (path, node) in named)
                if (node is JsonValue fv && fv.TryGetValue<string>(out var f) && f.StartsWith("auto:", StringComparison.Ordinal) && !topics.Contains(f[5..]))
                    Error(v, root, path, $"unknown topic '{f[5..]}'{Suggestion(f[5..], topics)}; topics: {string.Join(", ", topics)}");
        }

        // auto:TOPIC needs ground-truth topics, which only the planted-topics corpus has.
        if (!v.IsBroken("data.corpus") && v.Values["data.corpus"] is null && !synthetic)
        {
            var source = new[] { "data.files", "data.jsonl" }.FirstOrDefault(p => !v.IsBroken(p) && v.Values[p] is not null);
            var refs = (clamps ?? []).Select((c, i) => (path: $"steer.clamps[{i}].feature", node: (c as JsonObject)?["feature"]))
                .Concat((ablate ?? []).Select((a, i) => (path: $"steer.ablate[{i}]", node: a)));
            foreach (var (path, node) in refs)
                if (node is JsonValue fv && fv.TryGetValue<string>(out var s) && s.StartsWith("auto:", StringComparison.Ordinal) && source is not null)
                    Error(v, root, path, $"{s} needs a data source with topics (data.corpus: planted-topics), got {source}");
        }
    }

    private static bool IsSet(SpecValidation v, string path) => !v.IsBroken(path) && v.Values.GetValueOrDefault(path) is not null;

    private static string Suggestion(string text, IReadOnlyList<string> options) =>
        Suggest.Closest(text, options) is { } best ? $" (did you mean {best}?)" : "";

    private static void Error(SpecValidation v, SpecNode root, string path, string message)
    {
        // Point at the key's value where it was written, else at the nearest section written.
        var p = path;
        SpecNode? node = null;
        while (p.Length > 0 && !v.Nodes.TryGetValue(p, out node))
        {
            var cut = Math.Max(p.LastIndexOf('.'), p.LastIndexOf('['));
            p = cut > 0 ? p[..cut] : "";
        }
        v.Error(node ?? root, path, message);
    }

    private static string? Text(SpecValidation v, string path) =>
        !v.IsBroken(path) && v.Values[path] is JsonValue x && x.TryGetValue<string>(out var s) ? s : null;

    private static long? Int(SpecValidation v, string path) =>
        !v.IsBroken(path) && v.Values[path] is JsonValue x && x.TryGetValue<long>(out var n) ? n : null;

    private static JsonArray? Array(SpecValidation v, string path) =>
        !v.IsBroken(path) && v.Values[path] is JsonArray a ? a : null;
}

// Feature neighborhoods (Templeton et al. 2024, "Scaling Monosemanticity"): for given features, the
// features whose decoder directions are closest by cosine similarity, each with its top tokens.
//
// args:
//   features: [12, 40]       feature indices (optional)
//   topics: [bridge]         planted topics whose matched feature to use (optional; toy corpora; a topic
//                            no feature matches is skipped with a warning)
//   neighbors: 8             neighbors per feature
//   tokens: 5                top tokens shown per feature (strongest activations on the eval capture)
// Writes tables/neighborhoods.parquet (feature, rank, neighbor, cosine, top_tokens) and logs
// neighborhoods.<feature>.mean_cosine (mean cosine of the neighbors).

let run (ctx: HookContext) =
    let fromTopics =
        ctx.ArgStrings("topics", [||]) |> Array.choose (fun t ->
            try Some (ctx.TopicFeature t)
            with :? Runner.Core.RunnerException as e -> ctx.Log.Warn(sprintf "topic %s skipped: %s" t e.Message); None)
    let features = Array.append (ctx.ArgInts("features", [||])) fromTopics |> Array.distinct
    if features.Length = 0 then failwith "neighborhoods: give args.features (indices) or args.topics (names)"
    let k = ctx.ArgInt("neighbors", 8)
    let perFeature = ctx.ArgInt("tokens", 5)
    let sae = ctx.Sae
    let neighborhoods =
        [ for f in features ->
            let cos = sae.DecoderCosine f
            let near =
                cos |> Array.mapi (fun i c -> i, c) |> Array.filter (fun (i, _) -> i <> f)
                |> Array.sortByDescending snd |> Array.truncate k
            f, near ]
    let all = [| for f, near in neighborhoods do yield f; for i, _ in near -> i |] |> Array.distinct
    let top =
        use reader = ctx.Activations()
        sae.TopActivations(reader, perFeature * 4, all, ctx.CancellationToken)
    // The distinct tokens among a feature's strongest activations, strongest first.
    let tokensOf i =
        if ctx.HasModel then
            top.[i] |> Seq.filter (fun a -> a.TokenId >= 0) |> Seq.map (fun a -> ctx.Token a.TokenId)
            |> Seq.distinct |> Seq.truncate perFeature |> String.concat " | "
        else ""
    let rows = [ for f, near in neighborhoods do
                   yield f, 0, f, 1.0
                   for r, (i, c) in Array.indexed near -> f, r + 1, i, c ]
    ctx.WriteParquet("neighborhoods",
        HookColumn("feature", rows |> List.map (fun (f, _, _, _) -> f) |> Array.ofList),
        HookColumn("rank", rows |> List.map (fun (_, r, _, _) -> r) |> Array.ofList),
        HookColumn("neighbor", rows |> List.map (fun (_, _, n, _) -> n) |> Array.ofList),
        HookColumn("cosine", rows |> List.map (fun (_, _, _, c) -> c) |> Array.ofList),
        HookColumn("top_tokens", rows |> List.map (fun (_, _, n, _) -> tokensOf n) |> Array.ofList)) |> ignore
    for f, near in neighborhoods do
        ctx.LogMetric(sprintf "%d.mean_cosine" f, near |> Array.averageBy snd)
        ctx.Log.Info(sprintf "feature %d [%s]: %s" f (tokensOf f)
                        (near |> Array.truncate 3 |> Array.map (fun (i, c) -> sprintf "%d (%.2f) [%s]" i c (tokensOf i)) |> String.concat ", "))

// Top tokens: for each strong feature (highest max activation in evaluation), the tokens that most
// activate it on the eval capture, as a Parquet table.
//
// args:
//   features: 32        how many of the strongest live features
//   examples: 10        strongest activations kept per feature
//   min_density: 1e-4   skip features that fire less often than this (dead or nearly)
// Writes tables/top_tokens.parquet (feature, rank, token_id, token, activation, max_activation,
// density) and logs top-tokens.features and top-tokens.distinct_token_fraction (how many of the kept
// activations are distinct tokens per feature: 1/examples = one token only, 1 = all different).

let run (ctx: HookContext) =
    let count = ctx.ArgInt("features", 32)
    let perFeature = ctx.ArgInt("examples", 10)
    let minDensity = ctx.ArgDouble("min_density", 1e-4)
    let sae = ctx.Sae
    let maxAct = sae.Stat "max_activation"
    let density = sae.Stat "density"
    let strong =
        [| 0 .. sae.DSae - 1 |] |> Array.filter (fun f -> density.[f] >= minDensity)
        |> Array.sortByDescending (fun f -> maxAct.[f]) |> Array.truncate count
    if strong.Length = 0 then failwith "top-tokens: no live feature (every density is below min_density)"
    let top =
        use reader = ctx.Activations()
        sae.TopActivations(reader, perFeature, strong, ctx.CancellationToken)
    let token id = if ctx.HasModel && id >= 0 then ctx.Token id else null
    let rows = [| for f in strong do for r, a in Seq.indexed top.[f] -> f, r + 1, a |]
    ctx.WriteParquet("top_tokens",
        HookColumn("feature", rows |> Array.map (fun (f, _, _) -> f)),
        HookColumn("rank", rows |> Array.map (fun (_, r, _) -> r)),
        HookColumn("token_id", rows |> Array.map (fun (_, _, a) -> a.TokenId)),
        HookColumn("token", rows |> Array.map (fun (_, _, a) -> token a.TokenId)),
        HookColumn("activation", rows |> Array.map (fun (_, _, a) -> a.Activation)),
        HookColumn("max_activation", rows |> Array.map (fun (f, _, _) -> maxAct.[f])),
        HookColumn("density", rows |> Array.map (fun (f, _, _) -> density.[f]))) |> ignore
    let distinct =
        strong |> Array.filter (fun f -> top.[f].Count > 0)
        |> Array.averageBy (fun f -> float (top.[f] |> Seq.distinctBy (fun a -> a.TokenId) |> Seq.length) / float top.[f].Count)
    ctx.LogMetric("features", float strong.Length)
    ctx.LogMetric("distinct_token_fraction", distinct)
    for f in strong |> Array.truncate 5 do
        ctx.Log.Info(sprintf "feature %d (max %.2f): %s" f maxAct.[f]
                        (top.[f] |> Seq.map (fun a -> token a.TokenId) |> Seq.distinct |> Seq.truncate 6 |> String.concat " | "))

using Runner.Core.Models;
using Runner.Torch;

namespace Runner.Core.Generation;

/// <summary>What one call of <see cref="TextGenerator.Generate"/> produced, per sample.</summary>
/// <param name="Tokens">The generated ids (prompt excluded), per sample; a sample stops after the stop token.</param>
/// <param name="LogProbs">Per generated token: its log-probability under the model's own distribution at that step.</param>
public sealed record GenerationResult(int[][] Tokens, float[][] LogProbs);

/// <summary>
/// Autoregressive generation with a key-value cache: the prompt is run once for every sample as one batch
/// [samples, prompt], then one token per step [samples, 1]. Hooks (e.g. steering clamps) fire at every step;
/// their <see cref="HookContext.StartPosition"/> tells prompt positions (&lt; prompt length) from generated ones.
/// </summary>
public static class TextGenerator
{
    /// <summary>
    /// Generates <paramref name="maxTokens"/> tokens after <paramref name="prompt"/> for each of
    /// <paramref name="samples"/> samples (a batch). A sample that emits <paramref name="stopId"/> keeps that token
    /// and ends; generation stops early when every sample has.
    /// </summary>
    public static GenerationResult Generate(TransformerModel model, ReadOnlySpan<int> prompt, int samples, int maxTokens,
        TokenSampler sampler, IReadOnlyDictionary<HookPoint, ActivationHook>? hooks = null, int? stopId = null)
    {
        if (prompt.Length == 0) throw new RunnerException("generation needs a prompt of at least one token (an empty text with no BOS token gives none)");
        if (samples < 1 || maxTokens < 0) throw new ArgumentOutOfRangeException(nameof(samples));
        var max = model.Config.MaxPositions;
        if (prompt.Length + maxTokens > max)
            throw new RunnerException($"prompt ({prompt.Length} tokens) + {maxTokens} new tokens exceed the model's context of {max} positions");

        var tokens = new List<int>[samples];
        var logProbs = new List<float>[samples];
        var done = new bool[samples];
        for (var s = 0; s < samples; s++) { tokens[s] = []; logProbs[s] = []; }

        using var cache = model.CreateCache(samples);
        var ids = new long[samples * prompt.Length];
        for (var s = 0; s < samples; s++)
            for (var t = 0; t < prompt.Length; t++) ids[s * prompt.Length + t] = prompt[t];
        var step = ids;
        var width = prompt.Length;
        for (var n = 0; n < maxTokens; n++)
        {
            int[] next;
            float[] lp;
            using (var scope = TensorScope.Enter())
            using (TorchRuntime.NoGrad())
            {
                var input = Tensors.From(step, samples, width);
                var logits = model.Forward(input, hooks, cache);           // [S, width, V]
                (next, lp) = sampler.Next(logits.Select(1, width - 1));  // [S, V]
            }
            var live = false;
            for (var s = 0; s < samples; s++)
            {
                if (done[s]) continue;
                tokens[s].Add(next[s]);
                logProbs[s].Add(lp[s]);
                if (next[s] == stopId) done[s] = true;
                else live = true;
            }
            if (!live) break;
            step = new long[samples];
            for (var s = 0; s < samples; s++) step[s] = next[s];
            width = 1;
        }
        return new GenerationResult([.. tokens.Select(t => t.ToArray())], [.. logProbs.Select(l => l.ToArray())]);
    }
}

using Runner.Torch;

namespace Runner.Core.Training;

/// <summary>
/// A training run's complete state: CPU tensors by name (parameters <c>param.*</c>, buffers
/// <c>buffer.*</c>, Adam moments <c>adam.exp_avg.*</c> / <c>adam.exp_avg_sq.*</c>, the trainer's
/// generator <c>generator.state</c> (uint8), dead-latent counters <c>dead.tokens_since_fired</c>
/// (int64)) and a small JSON document (<see cref="State"/>: step, tokens, input scale, Adam step
/// counts, the curve so far, and the settings a resume must share).
/// </summary>
/// <param name="Tensors">Named tensors (float32, int64 or uint8, on the CPU).</param>
/// <param name="State">The JSON state, UTF-8 text.</param>
public sealed record TrainingCheckpoint(IReadOnlyDictionary<string, Tensor> Tensors, string State);

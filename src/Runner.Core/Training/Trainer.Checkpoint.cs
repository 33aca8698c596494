using System.Text.Json;
using System.Text.Json.Serialization;
using Runner.Torch;

namespace Runner.Core.Training;

// Checkpoints: everything the remaining steps depend on, so a resumed run matches an uninterrupted one bit for bit.
public sealed partial class Trainer
{
    private const int CheckpointFormat = 1;

    private static readonly JsonSerializerOptions s_json = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        DictionaryKeyPolicy = null,
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
    };

    /// <summary>The JSON half of a checkpoint.</summary>
    private sealed record CheckpointState
    {
        public int Format { get; init; }
        public string Architecture { get; init; } = "";
        public int DIn { get; init; }
        public int DSae { get; init; }
        public int BatchSize { get; init; }
        public long TotalSteps { get; init; }
        public long Step { get; init; }
        public long Tokens { get; init; }
        public double InputScale { get; init; }
        public Dictionary<string, long> AdamSteps { get; init; } = [];
        public List<TrainingPoint> Curve { get; init; } = [];
        public long ResampledDead { get; init; }
        public long ResampledDuplicates { get; init; }
    }

    private bool CheckpointDue() =>
        _options.CheckpointEvery is { } every && _step < _options.TotalSteps && _tokens / every > (_tokens - _options.BatchSize) / every;

    /// <summary>Writes the run's complete state to <paramref name="store"/>.</summary>
    public void SaveCheckpoint(ICheckpointStore store)
    {
        using var scope = TensorScope.Enter();
        var tensors = new Dictionary<string, Tensor>();
        var adamSteps = new Dictionary<string, long>();
        foreach (var (name, p) in _sae.Parameters)
        {
            tensors[$"param.{name}"] = CpuCopy(p.Detach());
            var s = _adam.StateOf(p);
            adamSteps[name] = s.Step;
            if (s.ExpAvg is not null) tensors[$"adam.exp_avg.{name}"] = CpuCopy(s.ExpAvg);
            if (s.ExpAvgSq is not null) tensors[$"adam.exp_avg_sq.{name}"] = CpuCopy(s.ExpAvgSq);
        }
        foreach (var (name, b) in _sae.Buffers) tensors[$"buffer.{name}"] = CpuCopy(b.Detach());
        tensors["generator.state"] = Random.GetState();
        tensors["dead.tokens_since_fired"] = CpuCopy(_dead.TokensSinceFired);
        var state = new CheckpointState
        {
            Format = CheckpointFormat,
            Architecture = _sae.Options.Kind.ToString().ToLowerInvariant(),
            DIn = _sae.Options.DIn,
            DSae = _sae.Options.DSae,
            BatchSize = _options.BatchSize,
            TotalSteps = _options.TotalSteps,
            Step = _step,
            Tokens = _tokens,
            InputScale = _sae.InputScale,
            AdamSteps = adamSteps,
            Curve = [.. _curve],
            ResampledDead = _resampledDead,
            ResampledDuplicates = _resampledDuplicates,
        };
        store.Save(new TrainingCheckpoint(tensors, JsonSerializer.Serialize(state, s_json)));
    }

    private static Tensor CpuCopy(Tensor t) => t.To(Device.Cpu, t.DType, copy: true);

    private bool TryResume(ICheckpointStore store)
    {
        using var scope = TensorScope.Enter();
        var checkpoint = store.Load();
        if (checkpoint is null) return false;
        var state = JsonSerializer.Deserialize<CheckpointState>(checkpoint.State, s_json)
            ?? throw new RunnerException("the training checkpoint's state is empty");
        CheckCompatible(state);

        using (TorchRuntime.NoGrad())
        {
            foreach (var (name, p) in _sae.Parameters) p.Copy_(Need(checkpoint, $"param.{name}"));
            foreach (var (name, b) in _sae.Buffers) b.Copy_(Need(checkpoint, $"buffer.{name}"));
        }
        foreach (var (name, p) in _sae.Parameters)
        {
            var s = _adam.StateOf(p);
            s.Step = state.AdamSteps.GetValueOrDefault(name);
            s.ExpAvg?.Dispose();
            s.ExpAvgSq?.Dispose();
            s.ExpAvg = s.Step == 0 ? null : Need(checkpoint, $"adam.exp_avg.{name}").To(p.Device, p.DType, copy: true).DetachFromScope();
            s.ExpAvgSq = s.Step == 0 ? null : Need(checkpoint, $"adam.exp_avg_sq.{name}").To(p.Device, p.DType, copy: true).DetachFromScope();
        }
        Random.SetState(Need(checkpoint, "generator.state"));
        _dead.Load(Need(checkpoint, "dead.tokens_since_fired"));
        _sae.InputScale = state.InputScale;
        _step = state.Step;
        _tokens = state.Tokens;
        _curve.Clear();
        _curve.AddRange(state.Curve);
        _resampledDead = state.ResampledDead;
        _resampledDuplicates = state.ResampledDuplicates;
        return true;
    }

    private void CheckCompatible(CheckpointState state)
    {
        var architecture = _sae.Options.Kind.ToString().ToLowerInvariant();
        var mismatches = new List<string>();
        if (state.Format != CheckpointFormat) mismatches.Add($"format {state.Format} (this version reads {CheckpointFormat})");
        if (state.Architecture != architecture) mismatches.Add($"architecture {state.Architecture} (now {architecture})");
        if (state.DIn != _sae.Options.DIn) mismatches.Add($"d_in {state.DIn} (now {_sae.Options.DIn})");
        if (state.DSae != _sae.Options.DSae) mismatches.Add($"d_sae {state.DSae} (now {_sae.Options.DSae})");
        if (state.BatchSize != _options.BatchSize) mismatches.Add($"batch size {state.BatchSize} (now {_options.BatchSize})");
        if (state.TotalSteps != _options.TotalSteps) mismatches.Add($"{state.TotalSteps} total steps (now {_options.TotalSteps})");
        if (state.Step > state.TotalSteps || state.Tokens != state.Step * state.BatchSize) mismatches.Add($"step {state.Step} at {state.Tokens} tokens is inconsistent");
        if (mismatches.Count > 0)
            throw new RunnerException($"the training checkpoint belongs to a different run: {string.Join("; ", mismatches)}. Delete it to start over.");
    }

    private static Tensor Need(TrainingCheckpoint checkpoint, string name) =>
        checkpoint.Tensors.TryGetValue(name, out var t) ? t : throw new RunnerException($"the training checkpoint has no tensor '{name}'");
}

using Runner.Torch;

namespace Runner.Core.Models;

/// <summary>
/// A decoder-only transformer (GPT-2, GPT-NeoX/Pythia, Llama/Mistral/Qwen2) with Hugging Face's
/// weights and conventions, hook points at every block site, and a KV cache for generation.
/// Load it from a checkpoint folder (<see cref="Load"/>) or make a random one (<see cref="CreateRandom"/>).
/// Forwards do not change the model; several threads may run them at once.
/// </summary>
public sealed partial class TransformerModel : IDisposable
{
    private readonly List<KeyValuePair<string, Tensor>> _parameters;
    private readonly Architecture _architecture;
    private bool _disposed;

    private TransformerModel(ModelConfig config, Device device, DType dtype, List<KeyValuePair<string, Tensor>> parameters)
    {
        Config = config;
        Device = device;
        DType = dtype;
        _parameters = parameters;
        _architecture = Architecture.Create(config, dtype, parameters.ToDictionary(p => p.Key, p => p.Value, StringComparer.Ordinal));
        RopeTables = new RopeTable(config, device, dtype);
    }

    /// <summary>The hyperparameters.</summary>
    public ModelConfig Config { get; }

    /// <summary>Where the weights live and the forward runs.</summary>
    public Device Device { get; }

    /// <summary>Float32, or BFloat16 (bf16 weights and matmuls; norms, attention softmax and logits in float32).</summary>
    public DType DType { get; }

    /// <summary>
    /// Hugging Face names -> the model's own tensors, in checkpoint order (a tied unembedding appears
    /// once, as the embedding). Norm parameters are float32 in every dtype. The forward is
    /// differentiable with respect to them and never writes to them.
    /// </summary>
    public IReadOnlyList<KeyValuePair<string, Tensor>> Parameters => _parameters;

    internal RopeTable RopeTables { get; }

    /// <summary>Width of the activation at <paramref name="site"/>: d_model, or d_mlp for mlp_hidden.</summary>
    public long SiteWidth(HookSite site) => Config.SiteWidth(site);

    /// <summary>A cache for <paramref name="batch"/> sequences, empty.</summary>
    public KvCache CreateCache(int batch) => new(this, batch);

    /// <summary>
    /// ids [B, T] (integers, any device) -> logits [B, T, V] float32. Hooks fire in layer order at every
    /// point named (each sees its activation in the model's dtype and may replace it). With a cache, the
    /// tokens take positions cache.Length.. and the cache grows by T once the forward completes.
    /// </summary>
    public Tensor Forward(Tensor ids, IReadOnlyDictionary<HookPoint, ActivationHook>? hooks = null, KvCache? cache = null)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        CheckHooks(hooks);
        using var scope = TensorScope.Enter();
        var x = Prepare(ids, out var pass, hooks, cache, null);
        for (var l = 0; l < Config.Layers; l++) x = _architecture.Block(l, x, pass);
        var logits = _architecture.Unembed(x);
        pass.CommitCache();
        return scope.Keep(logits);
    }

    /// <summary>
    /// Runs only as far as <paramref name="point"/> (no later layer, not even the rest of that block) and
    /// returns its activation [B, T, W] as float32. Hooks at earlier points fire (a replaced earlier site
    /// is seen); a hook at the point itself fires too and its replacement is returned. No unembedding.
    /// </summary>
    public Tensor RunTo(Tensor ids, HookPoint point, IReadOnlyDictionary<HookPoint, ActivationHook>? hooks = null)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        CheckPoint(point);
        CheckHooks(hooks);
        using var scope = TensorScope.Enter();
        try
        {
            var x = Prepare(ids, out var pass, hooks, null, point);
            for (var l = 0; l <= point.Layer; l++) x = _architecture.Block(l, x, pass);
        }
        catch (ReachedHookPoint reached)
        {
            return scope.Keep(reached.Activation.To(DType.Float32));
        }
        throw new InvalidOperationException($"internal: {point} was never reached");
    }

    private Tensor Prepare(Tensor ids, out ForwardPass pass, IReadOnlyDictionary<HookPoint, ActivationHook>? hooks, KvCache? cache, HookPoint? stopAt)
    {
        if (ids.Dim != 2) throw new ArgumentException($"token ids must be [batch, tokens], got [{string.Join(", ", ids.Shape)}]", nameof(ids));
        if (ids.DType.IsFloatingPoint() || ids.DType == DType.Bool) throw new ArgumentException($"token ids must be integers, got {ids.DType.Name()}", nameof(ids));
        if (cache is not null && !ReferenceEquals(cache.Model, this)) throw new ArgumentException("the cache belongs to another model", nameof(cache));
        if (cache is not null && cache.Batch != ids.Size(0)) throw new ArgumentException($"the cache holds {cache.Batch} sequences, the ids {ids.Size(0)}", nameof(cache));
        ids = ids.To(Device, DType.Int64);
        pass = new ForwardPass(this, ids.Size(0), ids.Size(1), hooks, cache, stopAt);
        return _architecture.Embed(ids, pass);
    }

    private void CheckHooks(IReadOnlyDictionary<HookPoint, ActivationHook>? hooks)
    {
        if (hooks is null) return;
        foreach (var point in hooks.Keys) CheckPoint(point);
    }

    private void CheckPoint(HookPoint point)
    {
        if (!Enum.IsDefined(point.Site)) throw new ArgumentOutOfRangeException(nameof(point), point.Site, "unknown hook site");
        if (point.Layer < 0 || point.Layer >= Config.Layers)
            throw new RunnerException($"hook point {point} is out of range: the model has {Config.Layers} layers (0..{Config.Layers - 1})");
    }

    /// <summary>Frees the weights.</summary>
    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        RopeTables.Dispose();
        foreach (var (_, t) in _parameters) t.Dispose();
    }
}

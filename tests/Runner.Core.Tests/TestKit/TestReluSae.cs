using Runner.Core.Sae;
using Runner.Torch;

namespace Runner.Core.Tests.TestKit;

/// <summary>
/// A plain ReLU SAE for trainer and metric tests (the real architectures live in Runner.Core.Sae):
/// f = ReLU((x − b_dec) W_enc + b_enc), x̂ = f W_dec + b_dec, loss = E_t Σ_d (x̂ − x)² + λ·scale·E_t Σ_i f_i ‖W_dec,i‖.
/// Records what the trainer hands it, and can be told to fail.
/// </summary>
internal sealed class TestReluSae : ISparseAutoencoder
{
    private readonly Tensor _wEnc, _bEnc, _wDec, _bDec, _calls;

    /// <summary>Seeded init: decoder rows random with norm 0.1, W_enc = W_decᵀ, biases 0.</summary>
    public TestReluSae(int dIn, int dSae, ulong seed = 0, double l1 = 1e-3)
    {
        using var scope = TensorScope.Enter();
        using var g = new Generator(seed);
        var w = Tensors.Randn([dSae, dIn], g);
        w = w / w.Norm(2, 1, keepDim: true) * 0.1;
        Options = new SaeOptions { DIn = dIn, DSae = dSae, Kind = SaeKind.Relu, L1Coefficient = l1 };
        _wDec = Own(scope, w.Clone());
        _wEnc = Own(scope, w.Clone());                            // [d_sae, d_in]: one row per latent, as Runner's SAEs
        _bEnc = Own(scope, Tensors.Zeros([dSae]));
        _bDec = Own(scope, Tensors.Zeros([dIn]));
        _calls = scope.Keep(Tensors.Zeros([1], DType.Int64)).DetachFromScope();
    }

    /// <summary>Explicit weights (SAELens layout): W_enc [d_in, d_sae], b_enc [d_sae], W_dec [d_sae, d_in], b_dec [d_in].</summary>
    public TestReluSae(double[,] wEnc, double[] bEnc, double[,] wDec, double[] bDec)
    {
        using var scope = TensorScope.Enter();
        Options = new SaeOptions { DIn = wEnc.GetLength(0), DSae = wEnc.GetLength(1), Kind = SaeKind.Relu };
        _wEnc = Own(scope, Tensors.From(wEnc).To(DType.Float32).T.Contiguous());
        _bEnc = Own(scope, Tensors.From(bEnc).To(DType.Float32));
        _wDec = Own(scope, Tensors.From(wDec).To(DType.Float32));
        _bDec = Own(scope, Tensors.From(bDec).To(DType.Float32));
        _calls = scope.Keep(Tensors.Zeros([1], DType.Int64)).DetachFromScope();
    }

    private static Tensor Own(TensorScope scope, Tensor t) => scope.Keep(t).DetachFromScope().RequiresGrad_();

    public SaeOptions Options { get; }
    public double InputScale { get; set; } = 1;
    public IReadOnlyList<KeyValuePair<string, Tensor>> Parameters => [new("W_enc", _wEnc), new("b_enc", _bEnc), new("W_dec", _wDec), new("b_dec", _bDec)];
    /// <summary>One buffer (a training-forward counter) so checkpoints must carry buffers.</summary>
    public IReadOnlyList<KeyValuePair<string, Tensor>> Buffers => [new("calls", _calls)];
    public string SaeLensArchitecture => "standard";

    /// <summary>Training forward calls so far whose l1 term becomes NaN (1-based), if any.</summary>
    public long? NanAtCall { get; set; }
    /// <summary>What each training forward received.</summary>
    public List<(double MeanNorm, double SparsityScale, long Dead, bool Autocast)> Seen { get; } = [];
    public int BeforeSteps { get; private set; }
    public int AfterSteps { get; private set; }

    public Tensor Encode(Tensor x) => Functional.Linear(x - _bDec, _wEnc, _bEnc).Relu();   // [B, d_in] -> [B, d_sae]

    public Tensor Decode(Tensor f) => Functional.Linear(f, _wDec.T, _bDec);                // [B, d_sae] -> [B, d_in]

    public SaeForward TrainingForward(Tensor x, SaeStepContext step)
    {
        using (TorchRuntime.NoGrad()) _calls.Add_(1L);
        var call = _calls.ToInt64();
        Seen.Add((x.Norm(2, 1).Mean().ToDouble(), step.SparsityScale, step.DeadMask?.Sum().ToInt64() ?? -1, TorchRuntime.IsAutocastEnabled(x.Device)));
        var f = Encode(x).To(DType.Float32);
        var xHat = Decode(f).To(DType.Float32);
        var mse = (xHat - x).Square().Sum(1).Mean();
        var l1 = (f * _wDec.Norm(2, 1)).Sum(1).Mean();
        if (call == NanAtCall) l1 = l1 * double.NaN;
        var loss = mse + l1 * (Options.L1Coefficient * step.SparsityScale);
        var active = f.Gt(0);
        return new SaeForward
        {
            Loss = loss,
            Mse = mse.Detach(),
            L0 = active.Sum(1).To(DType.Float32).Mean(),
            Fired = active.Any(0),
            Terms = new Dictionary<string, Tensor> { ["l1"] = l1.Detach() },
        };
    }

    /// <summary>The samples the trainer initialized with: rows and mean norm.</summary>
    public List<(long Rows, double MeanNorm)> InitSamples { get; } = [];

    public void InitializeDecoderBias(Tensor sample) => InitSamples.Add((sample.Size(0), sample.Norm(2, 1).Mean().ToDouble()));

    public void BeforeOptimizerStep() => BeforeSteps++;

    public void AfterOptimizerStep() => AfterSteps++;

    public IReadOnlyDictionary<string, Tensor> ExportSaeLens()
    {
        using var scope = TensorScope.Enter();
        var s = InputScale;
        var result = new Dictionary<string, Tensor>
        {
            ["W_enc"] = (_wEnc.Detach().T * s).Contiguous(),
            ["b_enc"] = _bEnc.Detach().Clone(),
            ["W_dec"] = (_wDec.Detach() / s).Contiguous(),
            ["b_dec"] = (_bDec.Detach() / s).Contiguous(),
        };
        foreach (var t in result.Values) scope.Keep(t);
        return result;
    }

    /// <summary>Copies of the parameters and buffers, by name (for bit-exact comparisons).</summary>
    public Dictionary<string, Tensor> Snapshot()
    {
        using var scope = TensorScope.Enter();
        return Parameters.Concat(Buffers).ToDictionary(p => p.Key, p => scope.Keep(p.Value.Detach().Clone()));
    }

    public void Dispose()
    {
        _wEnc.Dispose();
        _bEnc.Dispose();
        _wDec.Dispose();
        _bDec.Dispose();
        _calls.Dispose();
    }
}

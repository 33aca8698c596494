using Runner.Torch;

namespace Runner.Core.Sae;

/// <summary>The one place where the architectures are registered: new SAEs from options, inference SAEs from SAELens tensors.</summary>
public static class SaeFactory
{
    /// <summary>
    /// A freshly initialized SAE of <see cref="SaeOptions.Kind"/> on <paramref name="device"/>, its
    /// random init drawn from <paramref name="generator"/> (the same values on every device). Parameters
    /// are float32 master weights; <paramref name="dtype"/> float64 is for gradient checks.
    /// </summary>
    public static ISparseAutoencoder Create(SaeOptions options, Generator generator, Device device, DType dtype = DType.Float32)
    {
        Validate(options);
        if (dtype is not (DType.Float32 or DType.Float64)) throw new ArgumentException($"SAE parameters are float32 (or float64 for checks), got {dtype.Name()}; use autocast for bf16", nameof(dtype));
        return options.Kind switch
        {
            SaeKind.Relu => ReluSae.Create(options, generator, device, dtype),
            SaeKind.TopK => TopKSae.Create(options, generator, device, dtype),
            SaeKind.BatchTopK => BatchTopKSae.Create(options, generator, device, dtype),
            SaeKind.JumpRelu => JumpReluSae.Create(options, generator, device, dtype),
            _ => throw new ArgumentOutOfRangeException(nameof(options), options.Kind, "unknown SAE architecture"),
        };
    }

    /// <summary>The SAELens cfg.json architectures <see cref="FromSaeLens"/> reads.</summary>
    public static IReadOnlyList<string> SaeLensArchitectures { get; } = ["standard", "topk", "jumprelu"];

    /// <summary>
    /// An SAE built from SAELens v6 tensors (W_enc [d_in, d_sae], b_enc [d_sae], W_dec [d_sae, d_in],
    /// b_dec [d_in], threshold [d_sae] for jumprelu) in raw-activation space (InputScale 1): standard ->
    /// <see cref="ReluSae"/>, topk (needs <paramref name="k"/>) -> <see cref="TopKSae"/>, jumprelu -> <see cref="JumpReluSae"/>.
    /// The tensors are copied to <paramref name="device"/> (default: where W_enc is); the SAE encodes
    /// and decodes exactly as the SAE that exported them, and can be trained further with the loss
    /// settings of <paramref name="options"/> (its d_in, d_sae, kind and k are replaced by the tensors' and the arguments).
    /// </summary>
    public static ISparseAutoencoder FromSaeLens(string architecture, int? k, IReadOnlyDictionary<string, Tensor> tensors, Device? device = null, SaeOptions? options = null)
    {
        if (!SaeLensArchitectures.Contains(architecture))
            throw new RunnerException($"SAELens architecture '{architecture}' is not supported (expected {string.Join(", ", SaeLensArchitectures)})", 2);
        using var scope = TensorScope.Enter();
        var wEncLens = Need(tensors, "W_enc", 2);
        var (dIn, dSae) = ((int)wEncLens.Size(0), (int)wEncLens.Size(1));
        var dev = device ?? wEncLens.Device;
        var dtype = wEncLens.DType;
        Tensor Load(string name, params long[] shape)
        {
            var t = Need(tensors, name, shape.Length);
            if (!t.Shape.SequenceEqual(shape))
                throw new RunnerException($"SAELens tensor '{name}' has shape [{string.Join(", ", t.Shape)}], expected [{string.Join(", ", shape)}] (d_in {dIn}, d_sae {dSae} from W_enc)");
            return t.To(dev, name == "threshold" && dtype != DType.Float64 ? DType.Float32 : dtype, copy: true);   // θ stays float32
        }
        var wEnc = wEncLens.T.To(dev, dtype, copy: true).Contiguous();           // internal [d_sae, d_in]
        var (bEnc, wDec, bDec) = (Load("b_enc", dSae), Load("W_dec", dSae, dIn), Load("b_dec", dIn));
        options = (options ?? new SaeOptions { DIn = dIn, DSae = dSae }) with { DIn = dIn, DSae = dSae };
        return architecture switch
        {
            "standard" => new ReluSae(options with { Kind = SaeKind.Relu }, wEnc, bEnc, wDec, bDec),
            "topk" => new TopKSae(options with
            {
                Kind = SaeKind.TopK,
                K = k is > 0 && k <= dSae ? k.Value : throw new RunnerException($"a SAELens topk SAE needs k in [1, {dSae}], got {(k?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "none")}", 2),
            }, wEnc, bEnc, wDec, bDec),
            _ => new JumpReluSae(options with { Kind = SaeKind.JumpRelu }, wEnc, bEnc, wDec, bDec, Load("threshold", dSae)),
        };
    }

    private static Tensor Need(IReadOnlyDictionary<string, Tensor> tensors, string name, int dims)
    {
        if (!tensors.TryGetValue(name, out var t)) throw new RunnerException($"SAELens tensors: '{name}' is missing (have: {string.Join(", ", tensors.Keys.Order(StringComparer.Ordinal))})");
        if (t.Dim != dims) throw new RunnerException($"SAELens tensor '{name}' must have {dims} dimensions, got [{string.Join(", ", t.Shape)}]");
        if (!t.DType.IsFloatingPoint()) throw new RunnerException($"SAELens tensor '{name}' must be floating point, got {t.DType.Name()}");
        return t;
    }

    /// <summary>Throws <see cref="ArgumentException"/> naming the first impossible setting.</summary>
    public static void Validate(SaeOptions options)
    {
        static void Require(bool ok, string message)
        {
            if (!ok) throw new ArgumentException(message);
        }
        Require(options.DIn > 0, $"d_in must be positive, got {options.DIn}");
        Require(options.DSae > 0, $"d_sae must be positive, got {options.DSae}");
        if (options.Kind is SaeKind.TopK or SaeKind.BatchTopK)
        {
            Require(options.K >= 1 && options.K <= options.DSae, $"k must be in [1, d_sae = {options.DSae}], got {options.K}");
            Require(options.AuxK is null or >= 1, $"k_aux must be positive, got {options.AuxK}");
            Require(options.AuxKCoefficient >= 0, $"the AuxK coefficient must be non-negative, got {options.AuxKCoefficient}");
        }
        Require(options.L1Coefficient >= 0 && options.L0Coefficient >= 0 && options.PreActCoefficient >= 0, "sparsity coefficients must be non-negative");
        Require(options.Bandwidth > 0, $"the JumpReLU bandwidth must be positive, got {options.Bandwidth}");
        Require(options.DecoderInitNorm > 0, $"the decoder init norm must be positive, got {options.DecoderInitNorm}");
    }
}

using Runner.Torch;

namespace Runner.Core.Sae;

// The sparse TopK (and BatchTopK) step. The dense step spends six [B, d_in] × [d_in, d_sae]-sized
// matrix products; only the encoder's forward product is needed (TopK ranks every pre-activation).
// The rest touches only the active entries (k per row; k·B per batch for BatchTopK), O(B·k·d_in),
// with g = ∂L/∂x̂ and dz = ∂L/∂z at the active entries:
//   x̂_b          = Σ_j a_bj W_dec[i_bj] + b_dec               embedding_bag (sparsify's sparse decoder)
//   ∂L/∂a_bj     = ⟨W_dec[i_bj], g_b⟩                         its per-sample-weight gradient (autograd)
//   ∂L/∂W_dec,i  = Σ_{(b,j): i_bj = i} a_bj g_b               its weight gradient (autograd)
//   ∂L/∂W_enc,i  = Σ_{(b,j): i_bj = i} dz_bj (x_b − b_dec)    an embedding_bag over x − b_dec, one bag per latent
// Autograd cannot produce the encoder's gradient from the active entries alone: it would take a
// gathered [B, k, d_in] operand, or the dense product and its dense backward. The binding has no
// custom autograd functions, so the whole backward is done here, with the loss, and the gradients are
// attached to the returned loss as ⟨p, G⟩ − ⟨p, G⟩.detach(): zero in value, gradient G. Backward of the
// loss then leaves the dense step's gradients in .Grad (TopKSaeTests compares them parameter by parameter).
public partial class TopKSae
{
    /// <summary>
    /// Whether a training step uses the sparse kernels: <see cref="SaeOptions.Kernels"/>, where auto
    /// means d_sae ≥ 8·k in float32 and d_sae ≥ 32·k under bf16 autocast, whose dense products run
    /// about three times faster (break-even measured on this project's 2-core CPU at d_sae/k ≈ 3 in
    /// float32 and ≈ 16 in bf16; the factor 2 is margin for other machines).
    /// </summary>
    public virtual bool UsesSparseKernels(bool autocast) => Options.Kernels switch
    {
        SaeKernels.Sparse => true,
        SaeKernels.Dense => false,
        // On CUDA the dense step wins: on an H200, topk 4096x131072 k64 bf16 ran the sparse step at 0.67x
        // PyTorch's dense eager step (runner gpu-check); the CPU break-even does not carry over.
        _ => !Device.IsCuda && (long)DSae >= (autocast ? 32L : 8L) * K,
    };

    /// <summary>
    /// The active entries of a batch for the sparse step, flattened and grouped by row: Latents [N] and
    /// Rows [N] (int64), the start of each row's entries RowOffsets [B], and their pre-activations Z [N].
    /// </summary>
    private protected sealed record ActiveSet(Tensor Latents, Tensor Rows, Tensor RowOffsets, Tensor Z);

    /// <summary>The same number of entries per row: values and latents [B, n] -> an <see cref="ActiveSet"/>.</summary>
    private protected static ActiveSet PerRow(Tensor values, Tensor latents)
    {
        var (rows, n) = (values.Size(0), values.Size(1));
        var device = values.Device;
        return new ActiveSet(latents.Flatten(), Tensors.Arange(rows * n, device).FloorDivide(n), Tensors.Arange(0, rows * n, n, DType.Int64, device), values.Flatten());
    }

    /// <summary>The entries the sparse step keeps of z [B, d_sae]: TopK's k largest of each row.</summary>
    private protected virtual ActiveSet SelectActive(Tensor z, bool training)
    {
        var (values, latents) = z.TopK(K, sorted: false);                          // [B, k]
        return PerRow(values, latents);
    }

    private SaeForward SparseForward(Tensor x, SaeStepContext step)
    {
        using var scope = TensorScope.Enter();
        var train = TorchRuntime.IsGradEnabled;
        using var noGrad = TorchRuntime.NoGrad();
        var batch = x.Size(0);
        var dtype = WDec.DType;

        var z = PreActivations(x);                                                // [B, d_sae] (bf16 under autocast)
        var main = SelectActive(z, train);                                        // N = B·k entries
        var a = main.Z.Relu().To(dtype);                                          // active values [N]
        var (xHatNoBias, wLeaf, aLeaf) = BagDecode(main, a, train);               // [B, d_in]
        var error = xHatNoBias.Detach() + BDec - x;                               // x̂ − x [B, d_in]
        var mse = error.Square().Sum() / batch;
        var total = mse;
        var terms = new Dictionary<string, Tensor>();

        // AuxK: the top k_aux dead pre-activations of each row reconstruct the residual x − x̂ (no b_dec).
        ActiveSet? aux = null;
        Tensor? auxRecon = null, wAuxLeaf = null, aAuxLeaf = null, auxResidual = null;
        double auxWeight = 0;
        if (DeadLatents(step) is { } dead)
        {
            var (kAux, scale) = AuxKSize(dead);
            var (values, columns) = z.IndexSelect(1, dead).TopK(kAux, sorted: false);   // [B, k_aux]
            aux = PerRow(values, dead.IndexSelect(0, columns.Flatten()).View(batch, kAux));
            (auxRecon, wAuxLeaf, aAuxLeaf) = BagDecode(aux, aux.Z.Relu().To(dtype), train);
            auxResidual = auxRecon.Detach() + error;                              // ê − (x − x̂)
            auxWeight = Options.AuxKCoefficient * scale;
            var auxLoss = auxResidual.Square().Sum() * (auxWeight / batch);
            total = total + auxLoss;
            terms["auxk"] = scope.Keep(auxLoss);
        }
        z.Dispose();                                                              // the largest tensor of the step

        var positive = a.Gt(0);
        var result = new SaeForward
        {
            Loss = total,
            Mse = scope.Keep(mse.Detach()),                                       // its own handle: total may be mse
            L0 = scope.Keep(positive.Sum().To(DType.Float32) / batch),
            Fired = scope.Keep(Tensors.Zeros([DSae], dtype, Device).ScatterAdd_(0, main.Latents, positive.To(dtype)).Gt(0)),
            Terms = terms,
        };
        if (!train) return result with { Loss = scope.Keep(total) };

        // Backward by hand. g = ∂L/∂x̂; ∂L/∂z at the active entries = ∂L/∂a · ReLU′(z).
        var g = error * (2.0 / batch);                                            // [B, d_in]
        xHatNoBias.Backward(g);
        var dz = aLeaf!.Grad! * main.Z.Gt(0);                                     // [N]
        var encoderInput = x - BDec;                                              // [B, d_in]
        var gradWDec = wLeaf!.Grad!;                                              // [d_sae, d_in]
        var gradWEnc = LatentBags.Of(main, DSae).Sum(encoderInput, dz);           // [d_sae, d_in]
        var gradBEnc = Tensors.Zeros([DSae], dtype, Device).ScatterAdd_(0, main.Latents, dz);
        var gradBDec = g.Sum(0);                                                  // x̂ = … + b_dec
        if (aux is not null)
        {
            var gAux = auxResidual! * (2.0 * auxWeight / batch);                  // ∂L/∂ê; the target is detached
            auxRecon!.Backward(gAux);
            var dzAux = aAuxLeaf!.Grad! * aux.Z.Gt(0);
            gradWDec.Add_(wAuxLeaf!.Grad!);
            gradWEnc.Add_(LatentBags.Of(aux, DSae).Sum(encoderInput, dzAux));
            gradBEnc.ScatterAdd_(0, aux.Latents, dzAux);
        }
        // z = x W_encᵀ + b_enc − W_enc b_dec, so ∂L/∂b_dec also gets −Σ_i (∂L/∂b_enc)_i W_enc,i.
        gradBDec.Sub_(Functional.EmbeddingBag(WEnc, Tensors.Arange(DSae, Device).View(1, DSae), gradBEnc.View(1, DSae)).View(Options.DIn));

        using var grad = TorchRuntime.EnableGrad();
        var loss = total + Attach(WEnc, gradWEnc) + Attach(BEnc, gradBEnc) + Attach(WDec, gradWDec) + Attach(BDec, gradBDec);
        return result with { Loss = scope.Keep(loss) };
    }

    // Σ over each row's entries of a · W_dec[latent] -> [B, d_in]. With `leaves`, W_dec and a are
    // replaced by leaf aliases; after output.Backward(g) their gradients are Σ_{entries of latent i} a g_row
    // (embedding_bag's backward: sorted, parallel row updates) and ⟨W_dec[latent], g_row⟩ per entry (its
    // per-sample-weight gradient: parallel dot products), with no [N, d_in] tensor. (The W_dec alias
    // must require grad: libtorch's forward-only embedding_bag has no per-sample-weight gradient.)
    private (Tensor Output, Tensor? WDecLeaf, Tensor? ALeaf) BagDecode(ActiveSet active, Tensor a, bool leaves)
    {
        if (!leaves) return (Functional.EmbeddingBagWithOffsets(WDec, active.Latents, active.RowOffsets, a), null, null);
        using var grad = TorchRuntime.EnableGrad();
        var wLeaf = WDec.Detach().RequiresGrad_();
        var aLeaf = a.Detach().RequiresGrad_();
        return (Functional.EmbeddingBagWithOffsets(wLeaf, active.Latents, active.RowOffsets, aLeaf), wLeaf, aLeaf);
    }

    // ⟨p, G⟩ − ⟨p, G⟩.detach(): exactly zero, with gradient G with respect to p. Elementwise product
    // and sum, so autocast leaves it in the parameter's dtype.
    private static Tensor Attach(Tensor p, Tensor gradient)
    {
        var dot = (p * gradient).Sum();
        return dot - dot.Detach();
    }

    // The active entries grouped by latent, i.e. the transposed sparse activation matrix: a per-latent
    // sum over rows is then one embedding_bag with one bag per latent.
    private sealed class LatentBags
    {
        private readonly Tensor _rows;      // [N] the row of each entry, entries sorted by latent
        private readonly Tensor _order;     // [N] where each sorted entry sits in the active set
        private readonly Tensor _offsets;   // [d_sae] where each latent's bag starts

        private LatentBags(Tensor rows, Tensor order, Tensor offsets) => (_rows, _order, _offsets) = (rows, order, offsets);

        public static LatentBags Of(ActiveSet active, int dSae)
        {
            var (_, order) = active.Latents.Sort();
            var counts = Tensors.Zeros([dSae], DType.Int64, active.Latents.Device).ScatterAdd_(0, active.Latents, active.Latents.OnesLike());
            return new LatentBags(active.Rows.IndexSelect(0, order), order, counts.Cumsum(0) - counts);
        }

        // source [B, d], w [N] -> out [d_sae, d], out_i = Σ_{entries e of latent i} w_e source_{row(e)}
        public Tensor Sum(Tensor source, Tensor w) =>
            Functional.EmbeddingBagWithOffsets(source, _rows, _offsets, w.IndexSelect(0, _order));
    }
}

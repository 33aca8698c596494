namespace Runner.Torch;

/// <summary>
/// Adam (Kingma &amp; Ba 2015) with parameter groups, as PyTorch's single-tensor implementation:
/// the same update to the last bit on the same inputs. Moments are float32 tensors owned by the
/// optimizer (not by any scope) and reachable through <see cref="StateOf"/> for checkpoints.
/// </summary>
public sealed class Adam : IDisposable
{
    private readonly List<ParamGroup> _groups = [];
    private readonly Dictionary<Tensor, AdamState> _state = new(ReferenceEqualityComparer.Instance);

    /// <summary>An optimizer with one group over <paramref name="parameters"/>.</summary>
    public Adam(IEnumerable<Tensor> parameters, double lr = 1e-3, double beta1 = 0.9, double beta2 = 0.999, double eps = 1e-8, double weightDecay = 0) =>
        AddGroup(new ParamGroup([.. parameters]) { Lr = lr, Beta1 = beta1, Beta2 = beta2, Eps = eps, WeightDecay = weightDecay });

    /// <summary>An optimizer over several groups, each with its own settings.</summary>
    public Adam(IEnumerable<ParamGroup> groups)
    {
        foreach (var g in groups) AddGroup(g);
    }

    /// <summary>The parameter groups; their settings (e.g. <see cref="ParamGroup.Lr"/>) may be changed between steps.</summary>
    public IReadOnlyList<ParamGroup> Groups => _groups;

    /// <summary>Adds a group.</summary>
    public void AddGroup(ParamGroup group)
    {
        foreach (var p in group.Parameters)
        {
            if (_state.ContainsKey(p)) throw new ArgumentException("a parameter appears in more than one group");
            if (!p.DType.IsFloatingPoint()) throw new ArgumentException($"Adam needs floating-point parameters, got {p.DType.Name()}");
            _state[p] = new AdamState();
        }
        _groups.Add(group);
    }

    /// <summary>Sets the learning rate of every group.</summary>
    public void SetLearningRate(double lr)
    {
        foreach (var g in _groups) g.Lr = lr;
    }

    /// <summary>The moments and step count of <paramref name="parameter"/>.</summary>
    public AdamState StateOf(Tensor parameter) => _state[parameter];

    /// <summary>One update of every parameter that has a gradient.</summary>
    public unsafe void Step()
    {
        foreach (var g in _groups)
        {
            var ps = g.Parameters.Where(HasGrad).ToList();
            if (ps.Count == 0) continue;
            var avg = new Tensor[ps.Count];
            var avgSq = new Tensor[ps.Count];
            var steps = new long[ps.Count];
            for (var i = 0; i < ps.Count; i++)
            {
                var s = _state[ps[i]];
                s.ExpAvg ??= ps[i].ZerosLike().DetachFromScope();
                s.ExpAvgSq ??= ps[i].ZerosLike().DetachFromScope();
                s.Step++;
                (avg[i], avgSq[i], steps[i]) = (s.ExpAvg, s.ExpAvgSq, s.Step);
            }
            var hp = Tensors.Handles(ps);
            var ha = Tensors.Handles(avg);
            var hs = Tensors.Handles(avgSq);
            fixed (IntPtr* pp = hp, pa = ha, psq = hs)
            fixed (long* st = steps)
                NativeMethods.Check(NativeMethods.rt_adam_step(pp, pa, psq, st, ps.Count, g.Lr, g.Beta1, g.Beta2, g.Eps, g.WeightDecay), "adam.step");
            GC.KeepAlive(ps);
            GC.KeepAlive(avg);
            GC.KeepAlive(avgSq);
        }
    }

    private static bool HasGrad(Tensor p)
    {
        using var grad = p.Grad;
        return grad is not null;
    }

    /// <summary>Drops every gradient (sets it to none, as PyTorch 2 does by default).</summary>
    public void ZeroGrad()
    {
        foreach (var g in _groups)
            foreach (var p in g.Parameters)
                p.Grad = null;
    }

    /// <summary>Frees the moments.</summary>
    public void Dispose()
    {
        foreach (var s in _state.Values)
        {
            s.ExpAvg?.Dispose();
            s.ExpAvgSq?.Dispose();
            s.ExpAvg = s.ExpAvgSq = null;
        }
    }
}

/// <summary>Parameters that share optimizer settings.</summary>
public sealed class ParamGroup(IReadOnlyList<Tensor> parameters)
{
    /// <summary>The parameters (leaves with RequiresGrad).</summary>
    public IReadOnlyList<Tensor> Parameters { get; } = parameters;
    /// <summary>Learning rate.</summary>
    public double Lr { get; set; } = 1e-3;
    /// <summary>Decay of the first moment.</summary>
    public double Beta1 { get; set; } = 0.9;
    /// <summary>Decay of the second moment.</summary>
    public double Beta2 { get; set; } = 0.999;
    /// <summary>Added to the denominator.</summary>
    public double Eps { get; set; } = 1e-8;
    /// <summary>L2 penalty added to the gradient (Adam's, not AdamW's decoupled decay).</summary>
    public double WeightDecay { get; set; }
}

/// <summary>Adam's per-parameter state.</summary>
public sealed class AdamState
{
    /// <summary>First moment (null before the first step).</summary>
    public Tensor? ExpAvg { get; set; }
    /// <summary>Second moment (null before the first step).</summary>
    public Tensor? ExpAvgSq { get; set; }
    /// <summary>Updates applied so far.</summary>
    public long Step { get; set; }
}

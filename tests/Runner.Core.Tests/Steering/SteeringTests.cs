using Runner.Core.Sae;
using Runner.Core.Steering;
using Runner.Torch;
using static Runner.Core.Tests.Sae.SaeTestKit;
using SaeSteering = Runner.Core.Steering.Steering;

namespace Runner.Core.Tests.Steering;

public sealed class SteeringTests
{
    private const int OrthoDIn = 16, OrthoDSae = 8;

    /// <summary>
    /// A ReLU SAE whose decoder rows are orthonormal and whose encoder is the decoder's transpose: moving
    /// x_sae along W_dec[i] by c moves h_i by exactly c and no other h_j, so clamps flip no other latent.
    /// </summary>
    private static ISparseAutoencoder OrthonormalSae(double inputScale)
    {
        var random = new SplitMix64(21);
        var rows = new List<double[]>();
        while (rows.Count < OrthoDSae)                        // Gram–Schmidt over random vectors
        {
            var v = Enumerable.Range(0, OrthoDIn).Select(_ => random.NextDouble() * 2 - 1).ToArray();
            foreach (var u in rows)
            {
                var dot = v.Zip(u, (a, b) => a * b).Sum();
                for (var d = 0; d < OrthoDIn; d++) v[d] -= dot * u[d];
            }
            var norm = Math.Sqrt(v.Sum(a => a * a));
            rows.Add(v.Select(a => a / norm).ToArray());
        }
        var wDec = new double[OrthoDSae, OrthoDIn];
        var wEnc = new double[OrthoDIn, OrthoDSae];
        for (var i = 0; i < OrthoDSae; i++)
            for (var d = 0; d < OrthoDIn; d++) (wDec[i, d], wEnc[d, i]) = (rows[i][d], rows[i][d]);
        var tensors = new Dictionary<string, Tensor>
        {
            ["W_enc"] = Tensors.From(wEnc),
            ["W_dec"] = Tensors.From(wDec),
            ["b_enc"] = Tensors.From(Enumerable.Range(0, OrthoDSae).Select(i => 0.05 * (i % 3) - 0.05).ToArray()),
            ["b_dec"] = Tensors.From(Enumerable.Range(0, OrthoDIn).Select(d => 0.1 * Math.Sin(d)).ToArray()),
        };
        var sae = SaeFactory.FromSaeLens("standard", null, tensors);
        sae.InputScale = inputScale;
        return sae;
    }

    private static Tensor Features(ISparseAutoencoder sae, Tensor x)
    {
        using var scope = TensorScope.Enter();
        using var noGrad = TorchRuntime.NoGrad();
        return scope.Keep(sae.Encode(x * sae.InputScale));
    }

    private static double MaxAbsDiff(Tensor a, Tensor b) => (a - b).Abs().Max().ToDouble();

    [Fact]
    public void Clamping_a_latent_to_its_current_value_changes_nothing()
    {
        using var scope = TensorScope.Enter();
        using var sae = Create(Options(SaeKind.Relu), DType.Float32);
        sae.InputScale = 0.7;
        var x = Inputs(6, dtype: DType.Float32);
        var f = Values(Features(sae, x));
        var row = x.Narrow(0, 2, 1);                                   // [1, d_in]
        var active = Enumerable.Range(0, DSae).First(i => f[2 * DSae + i] > 0);
        var same = SaeSteering.Apply(sae, row, [new FeatureClamp(active, ClampMode.Value, f[2 * DSae + active])]);
        Assert.True(MaxAbsDiff(row, same) < 1e-5);
        var inactive = Enumerable.Range(0, DSae).First(i => Enumerable.Range(0, 6).All(r => f[r * DSae + i] == 0));
        Assert.True(MaxAbsDiff(x, SaeSteering.Apply(sae, x, [new FeatureClamp(inactive, ClampMode.Value, 0)])) < 1e-5);
    }

    [Fact]
    public void Scale_one_and_add_zero_change_nothing()
    {
        using var scope = TensorScope.Enter();
        using var sae = Create(Options(SaeKind.Relu), DType.Float32);
        var x = Inputs(5, dtype: DType.Float32);
        Assert.True(MaxAbsDiff(x, SaeSteering.Apply(sae, x, [new FeatureClamp(3, ClampMode.Scale, 1), new FeatureClamp(9, ClampMode.Scale, 1)])) < 1e-5);
        Assert.True(MaxAbsDiff(x, SaeSteering.Apply(sae, x, [new FeatureClamp(3, ClampMode.Add, 0)])) < 1e-5);
        Assert.True(MaxAbsDiff(x, SaeSteering.Apply(sae, x, [])) == 0);
    }

    [Fact]
    public void A_value_clamp_sets_the_latent_moves_x_along_its_decoder_row_and_keeps_the_error_term()
    {
        using var scope = TensorScope.Enter();
        const double s = 2.0, v = 1.75;
        using var sae = OrthonormalSae(s);
        using var g = new Generator(5);
        const int latent = 3;
        var wDec = Param(sae, "W_dec").Detach();
        var x = Tensors.Randn([4, OrthoDIn], g, DType.Float64) * 0.3 + wDec.Narrow(0, latent, 1) * (2 / s);   // latent 3 active in every row
        var f = Features(sae, x);
        var fValues = Values(f);
        Assert.All(Enumerable.Range(0, 4), r => Assert.True(fValues[r * OrthoDSae + latent] > 0.5));

        var steered = SaeSteering.Apply(sae, x, [new FeatureClamp(latent, ClampMode.Value, v)]);

        // f' = f with column `latent` set to v; no other latent moved.
        var fSteered = Values(Features(sae, steered));
        for (var r = 0; r < 4; r++)
            for (var i = 0; i < OrthoDSae; i++)
                Assert.Equal(i == latent ? v : fValues[r * OrthoDSae + i], fSteered[r * OrthoDSae + i], 10);
        // x' − x = (v − f_i) · W_dec[i] / s.
        var expected = (v - f.Narrow(1, latent, 1)) * wDec.Narrow(0, latent, 1) / s;     // [4, 1] * [1, d_in]
        Close(expected, steered - x, 1e-12, "x' − x");
        // The SAE error term s·x − x̂ is the same before and after.
        using var noGrad = TorchRuntime.NoGrad();
        var error = x * s - sae.Decode(f);
        Close(error, steered * s - sae.Decode(sae.Encode(steered * s)), 1e-12, "error term");
    }

    [Fact]
    public void Scale_and_add_move_x_by_the_documented_amounts_in_raw_space()
    {
        using var scope = TensorScope.Enter();
        const double s = 0.5;
        using var sae = OrthonormalSae(s);
        using var g = new Generator(6);
        var x = Tensors.Randn([3, OrthoDIn], g, DType.Float64) * 0.5;
        var f = Features(sae, x);
        var wDec = Param(sae, "W_dec").Detach();
        var scaled = SaeSteering.Apply(sae, x, [new FeatureClamp(2, ClampMode.Scale, 3)]);
        Close(f.Narrow(1, 2, 1) * 2 * wDec.Narrow(0, 2, 1) / s, scaled - x, 1e-12, "scale 3");
        var added = SaeSteering.Apply(sae, x, [new FeatureClamp(5, ClampMode.Add, -0.4)]);
        Close((wDec.Narrow(0, 5, 1) * (-0.4 / s)).Expand(3, OrthoDIn), added - x, 1e-12, "add −0.4");
    }

    [Fact]
    public void Clamps_compose_from_one_encoding_and_apply_in_order_on_one_latent()
    {
        using var scope = TensorScope.Enter();
        using var sae = Create(Options(SaeKind.Relu));
        var x = Inputs(5);
        FeatureClamp a = new(1, ClampMode.Value, 2), b = new(7, ClampMode.Scale, 0), c = new(11, ClampMode.Add, 0.3);
        var together = SaeSteering.Apply(sae, x, [a, b, c]);
        var apart = SaeSteering.Apply(sae, x, [a]) + SaeSteering.Apply(sae, x, [b]) + SaeSteering.Apply(sae, x, [c]) - x * 2;
        Close(apart, together, 1e-12, "sum of single clamps");

        var valueThenScale = SaeSteering.Apply(sae, x, [new(4, ClampMode.Value, 3), new(4, ClampMode.Scale, 2), new(4, ClampMode.Add, 0.5)]);
        Close(SaeSteering.Apply(sae, x, [new(4, ClampMode.Value, 6.5)]), valueThenScale, 1e-12, "value 3, scale 2, add 0.5");
    }

    [Fact]
    public void Rows_outside_the_mask_are_returned_unchanged()
    {
        using var scope = TensorScope.Enter();
        using var sae = Create(Options(SaeKind.TopK), DType.Float32);
        var x = Inputs(4, dtype: DType.Float32);
        var mask = Tensors.From(new[] { true, false, true, false });
        var steered = SaeSteering.Apply(sae, x, [new FeatureClamp(0, ClampMode.Add, 5)], mask);
        var unmasked = SaeSteering.Apply(sae, x, [new FeatureClamp(0, ClampMode.Add, 5)]);
        foreach (var r in new[] { 1, 3 }) Assert.True(steered.Select(0, r).Equal(x.Select(0, r)));
        foreach (var r in new[] { 0, 2 })
        {
            Assert.True(steered.Select(0, r).Equal(unmasked.Select(0, r)));
            Assert.False(steered.Select(0, r).Equal(x.Select(0, r)));
        }
        Assert.Equal(DType.Float32, steered.DType);
    }

    [Fact]
    public void An_unknown_feature_is_an_error_naming_the_index_and_d_sae()
    {
        using var scope = TensorScope.Enter();
        using var sae = Create(Options(SaeKind.Relu), DType.Float32);
        var x = Inputs(2, dtype: DType.Float32);
        foreach (var feature in new[] { DSae, -1 })
        {
            var e = Assert.Throws<RunnerException>(() => SaeSteering.Apply(sae, x, [new FeatureClamp(feature, ClampMode.Value, 1)]));
            Assert.Equal($"steer.clamps: feature {feature} does not exist; the SAE has d_sae = {DSae} (features 0 to {DSae - 1})", e.Message);
        }
        Assert.Contains("must be finite", Assert.Throws<RunnerException>(() => SaeSteering.Apply(sae, x, [new FeatureClamp(1, ClampMode.Scale, double.NaN)])).Message);
        Assert.Contains($"[N, {DIn}]", Assert.Throws<RunnerException>(() => SaeSteering.Apply(sae, Inputs(2, dIn: DIn + 1), [])).Message);
    }

    [Fact]
    public void Steering_leaves_no_live_native_tensors()
    {
        using var sae = Create(Options(SaeKind.JumpRelu), DType.Float32);
        using var x = Inputs(8, dtype: DType.Float32);
        using var mask = Tensors.From(new[] { true, false, true, true, false, true, true, true });
        void Run()
        {
            using var scope = TensorScope.Enter();
            _ = SaeSteering.Apply(sae, x, [new FeatureClamp(3, ClampMode.Value, 4), new FeatureClamp(5, ClampMode.Add, 1)], mask);
        }
        Run();
        var before = SettledLiveCount();
        for (var i = 0; i < 5; i++) Run();
        Assert.Equal(before, SettledLiveCount());
    }
}

using Runner.Core.Generation;
using Runner.Core.Models;
using Runner.Core.Sae;
using Runner.Core.Steering;
using Runner.Torch;

namespace Runner.Core.Tests.Steering;

/// <summary>The SAE hooks spliced into a real (tiny, random) model: the invariants evaluation and steering rely on.</summary>
public sealed class SaeHooksTests : IDisposable
{
    private const int DModel = 16;
    private static readonly HookPoint Point = new(1, HookSite.ResidPre);
    private readonly TransformerModel _model;
    private readonly ISparseAutoencoder _perfect;

    public SaeHooksTests()
    {
        _model = TransformerModel.CreateRandom(ModelConfig.Create("gpt2", vocabSize: 40, dModel: DModel, layers: 2, heads: 2, maxPositions: 32), 3, Device.Cpu, DType.Float32);
        _perfect = PerfectSae(DModel);
    }

    public void Dispose()
    {
        _perfect.Dispose();
        _model.Dispose();
    }

    // relu(x) − relu(−x) = x: a ReLU SAE with W_enc = [I, −I], W_dec = [I; −I] reconstructs every input exactly.
    private static ISparseAutoencoder PerfectSae(int d)
    {
        using var scope = TensorScope.Enter();
        var eye = Tensors.Zeros([d, d]);
        for (var i = 0; i < d; i++) eye.Select(0, i).Select(0, i).Fill_(1);
        var tensors = new Dictionary<string, Tensor>
        {
            ["W_enc"] = Tensors.Cat([eye, -eye], 1),   // [d_in, 2d]
            ["b_enc"] = Tensors.Zeros([2 * d]),
            ["W_dec"] = Tensors.Cat([eye, -eye], 0),   // [2d, d_in]
            ["b_dec"] = Tensors.Zeros([d]),
        };
        return SaeFactory.FromSaeLens("standard", null, tensors, Device.Cpu);
    }

    private static Tensor Ids(int batch, int length, ulong seed)
    {
        using var g = new Generator(seed);
        return Tensors.RandInt(0, 40, [batch, length], g, DType.Int64);
    }

    private static double Loss(Tensor logits, Tensor ids)
    {
        var t = ids.Size(1);
        return Functional.CrossEntropy(logits.Narrow(1, 0, t - 1).Reshape(-1, logits.Size(2)), ids.Narrow(1, 1, t - 1).Reshape(-1)).ToDouble();
    }

    [Fact]
    public void Splicing_a_perfect_reconstruction_leaves_the_loss_unchanged_and_zero_ablation_does_not()
    {
        using var scope = TensorScope.Enter();
        var ids = Ids(3, 12, 1);
        var clean = Loss(_model.Forward(ids), ids);
        var spliced = Loss(_model.Forward(ids, new Dictionary<HookPoint, ActivationHook> { [Point] = SaeHooks.Splice(_perfect) }), ids);
        var zero = Loss(_model.Forward(ids, new Dictionary<HookPoint, ActivationHook> { [Point] = SaeHooks.ZeroAblate() }), ids);
        Assert.Equal(clean, spliced, 5);
        Assert.True(Math.Abs(zero - clean) > 1e-3, $"zero ablation should change the loss: {clean} vs {zero}");
    }

    [Fact]
    public void Rows_marked_keep_are_left_clean_by_splicing_and_ablation()
    {
        using var scope = TensorScope.Enter();
        var ids = Ids(2, 8, 2);
        var keep = Tensors.Ones([2, 8], DType.Bool);
        var clean = _model.Forward(ids);
        Assert.True(clean.AllClose(_model.Forward(ids, new Dictionary<HookPoint, ActivationHook> { [Point] = SaeHooks.ZeroAblate(keep) }), 0, 0));
        var some = Tensors.Zeros([2, 8], DType.Bool);
        some.Select(1, 0).Fill_(true);
        var ablated = _model.Forward(ids, new Dictionary<HookPoint, ActivationHook> { [Point] = SaeHooks.ZeroAblate(some) });
        Assert.False(clean.AllClose(ablated, 1e-4, 1e-5));
    }

    [Fact]
    public void A_clamp_to_the_current_activation_changes_nothing_and_a_large_one_changes_the_next_token()
    {
        using var scope = TensorScope.Enter();
        var ids = Ids(1, 1, 3);
        var x = _model.RunTo(ids, Point).Reshape(1, DModel);           // one position: its activation is known
        var f = _perfect.Encode(x);
        var feature = (int)f.Argmax().ToInt64();
        var current = f.Select(1, feature).ToDouble();
        var clean = _model.Forward(ids);
        var same = _model.Forward(ids, new Dictionary<HookPoint, ActivationHook>
        {
            [Point] = SaeHooks.Clamp(_perfect, [new FeatureClamp(feature, ClampMode.Value, current)]),
        });
        Assert.True(clean.AllClose(same, 1e-5, 1e-6));
        var moved = _model.Forward(ids, new Dictionary<HookPoint, ActivationHook>
        {
            [Point] = SaeHooks.Clamp(_perfect, [new FeatureClamp(feature, ClampMode.Value, current + 50)]),
        });
        Assert.False(clean.AllClose(moved, 1e-3, 1e-4));
    }

    [Fact]
    public void A_generated_only_clamp_leaves_the_prompt_positions_untouched()
    {
        using var scope = TensorScope.Enter();
        var ids = Ids(1, 6, 4);
        var hook = SaeHooks.Clamp(_perfect, [new FeatureClamp(0, ClampMode.Add, 100)], PositionFilter.Generated, promptLength: 6);
        Assert.True(_model.Forward(ids).AllClose(_model.Forward(ids, new Dictionary<HookPoint, ActivationHook> { [Point] = hook }), 0, 0));
        var prompt = SaeHooks.Clamp(_perfect, [new FeatureClamp(0, ClampMode.Add, 100)], PositionFilter.Prompt, promptLength: 6);
        Assert.False(_model.Forward(ids).AllClose(_model.Forward(ids, new Dictionary<HookPoint, ActivationHook> { [Point] = prompt }), 1e-3, 1e-4));
    }

    [Fact]
    public void Batched_generation_with_a_cache_is_reproducible_from_the_seed_and_stops_at_the_stop_token()
    {
        var sampling = new SamplingOptions { Temperature = 1.0 };
        var a = TextGenerator.Generate(_model, [1, 2, 3], 4, 6, new TokenSampler(sampling, 9));
        var b = TextGenerator.Generate(_model, [1, 2, 3], 4, 6, new TokenSampler(sampling, 9));
        Assert.Equal(a.Tokens.Select(t => string.Join(",", t)), b.Tokens.Select(t => string.Join(",", t)));
        Assert.All(a.Tokens, t => Assert.Equal(6, t.Length));
        Assert.All(a.LogProbs, lp => Assert.All(lp, v => Assert.True(v <= 0)));

        var greedy = TextGenerator.Generate(_model, [1, 2, 3], 1, 6, new TokenSampler(new SamplingOptions { Greedy = true }, 0));
        var stop = greedy.Tokens[0][2];
        var stopped = TextGenerator.Generate(_model, [1, 2, 3], 1, 6, new TokenSampler(new SamplingOptions { Greedy = true }, 0), stopId: stop);
        Assert.Equal(greedy.Tokens[0].Take(Array.IndexOf(greedy.Tokens[0], stop) + 1), stopped.Tokens[0]);
    }

    [Fact]
    public void A_prompt_longer_than_the_context_is_an_error_that_says_so()
    {
        var e = Assert.Throws<RunnerException>(() => TextGenerator.Generate(_model, new int[30], 1, 5, new TokenSampler(new SamplingOptions(), 0)));
        Assert.Contains("32 positions", e.Message);
    }
}

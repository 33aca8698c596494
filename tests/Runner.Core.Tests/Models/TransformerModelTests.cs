using Runner.Core.Models;
using Runner.Torch;
using static Runner.Core.Tests.Models.ModelTestKit;

namespace Runner.Core.Tests.Models;

public sealed class TransformerModelTests
{
    private static readonly HookSite[] AllSites = Enum.GetValues<HookSite>();

    [Theory]
    [MemberData(nameof(Families), MemberType = typeof(ModelTestKit))]
    public void Changing_token_t_never_changes_the_logits_before_t(string family)
    {
        using var scope = TensorScope.Enter();
        using var model = Model(family);
        var ids = Ids(2, 9);
        var changed = ids.Clone();
        changed.Select(1, 5).Copy_((ids.Select(1, 5) + 1).Remainder(53));
        var a = model.Forward(ids);
        var b = model.Forward(changed);
        Assert.Equal(0, MaxAbsDiff(a.Narrow(1, 0, 5), b.Narrow(1, 0, 5)));
        Assert.True(MaxAbsDiff(a.Narrow(1, 5, 1), b.Narrow(1, 5, 1)) > 1e-4, "the changed position's logits must change");
    }

    [Theory]
    [MemberData(nameof(Families), MemberType = typeof(ModelTestKit))]
    public void A_kv_cache_fed_one_token_or_a_few_at_a_time_gives_the_full_forward_logits(string family)
    {
        using var scope = TensorScope.Enter();
        using var model = Model(family);
        var ids = Ids(2, 11);
        var full = model.Forward(ids);
        foreach (var chunks in new[] { new[] { 4, 1, 1, 1, 1, 1, 1, 1 }, [3, 2, 3, 1, 2] })
        {
            using var cache = model.CreateCache(2);
            var parts = new List<Tensor>();
            var start = 0;
            foreach (var n in chunks)
            {
                parts.Add(model.Forward(ids.Narrow(1, start, n), cache: cache));
                start += n;
                Assert.Equal(start, cache.Length);
            }
            Assert.True(MaxAbsDiff(full, Tensors.Cat(parts, 1)) < 1e-4, $"chunks {string.Join(",", chunks)}: {MaxAbsDiff(full, Tensors.Cat(parts, 1))}");
        }
    }

    [Theory]
    [MemberData(nameof(Families), MemberType = typeof(ModelTestKit))]
    public void Greedy_generation_with_and_without_a_cache_gives_the_same_tokens(string family)
    {
        using var scope = TensorScope.Enter();
        using var model = Model(family);
        var prompt = Ids(1, 4);
        var plain = new List<long>();
        var sequence = prompt;
        for (var i = 0; i < 8; i++)
        {
            var next = model.Forward(sequence).Select(1, -1).Argmax(-1, keepDim: true);   // [1, 1]
            plain.Add(next.ToInt64());
            sequence = Tensors.Cat([sequence, next], 1);
        }
        using var cache = model.CreateCache(1);
        var cached = new List<long>();
        var input = prompt;
        for (var i = 0; i < 8; i++)
        {
            input = model.Forward(input, cache: cache).Select(1, -1).Argmax(-1, keepDim: true);
            cached.Add(input.ToInt64());
        }
        Assert.Equal(plain, cached);
    }

    [Theory]
    [MemberData(nameof(Families), MemberType = typeof(ModelTestKit))]
    public void RunTo_returns_what_a_read_hook_sees_in_the_full_forward_at_every_point(string family)
    {
        using var scope = TensorScope.Enter();
        using var model = Model(family);
        var ids = Ids(2, 7);
        var seen = new Dictionary<HookPoint, Tensor>();
        var hooks = new Dictionary<HookPoint, ActivationHook>();
        for (var l = 0; l < model.Config.Layers; l++)
            foreach (var site in AllSites)
                hooks[new HookPoint(l, site)] = (a, ctx) =>
                {
                    Assert.Equal(0, ctx.StartPosition);
                    seen[ctx.Point] = TensorScope.Current!.Keep(a.Clone()).DetachFromScope();
                    return null;
                };
        model.Forward(ids, hooks);
        Assert.Equal(hooks.Count, seen.Count);
        foreach (var (point, expected) in seen)
        {
            using (expected)
            {
                var got = model.RunTo(ids, point);
                Assert.Equal(DType.Float32, got.DType);
                Assert.Equal([2, 7, model.SiteWidth(point.Site)], got.Shape);
                Assert.True(MaxAbsDiff(got, expected) == 0, $"{point}: {MaxAbsDiff(got, expected)}");
            }
        }
    }

    [Theory]
    [MemberData(nameof(Families), MemberType = typeof(ModelTestKit))]
    public void An_identity_hook_everywhere_changes_nothing_and_zeroing_attn_out_of_layer_0_changes_the_logits(string family)
    {
        using var scope = TensorScope.Enter();
        using var model = Model(family);
        var ids = Ids(2, 6);
        var plain = model.Forward(ids);
        var identity = new Dictionary<HookPoint, ActivationHook>();
        for (var l = 0; l < model.Config.Layers; l++)
            foreach (var site in AllSites) identity[new HookPoint(l, site)] = (a, _) => a;
        Assert.Equal(0, MaxAbsDiff(plain, model.Forward(ids, identity)));
        var zeroed = model.Forward(ids, new Dictionary<HookPoint, ActivationHook> { [new(0, HookSite.AttnOut)] = (a, _) => a.ZerosLike() });
        Assert.True(MaxAbsDiff(plain, zeroed) > 1e-3);
    }

    [Fact]
    public void RunTo_stops_at_its_point_and_sees_a_replaced_earlier_site()
    {
        using var scope = TensorScope.Enter();
        using var model = Model("gpt2");
        var ids = Ids(1, 5);
        var fired = new List<HookPoint>();
        var hooks = new Dictionary<HookPoint, ActivationHook>
        {
            [new(0, HookSite.MlpOut)] = (a, c) => { fired.Add(c.Point); return a.ZerosLike(); },
            [new(0, HookSite.ResidPost)] = (a, c) => { fired.Add(c.Point); return null; },
            [new(1, HookSite.ResidPre)] = (a, c) => { fired.Add(c.Point); return null; },
        };
        var post = model.RunTo(ids, new HookPoint(0, HookSite.ResidPost), hooks);
        Assert.Equal([new HookPoint(0, HookSite.MlpOut), new HookPoint(0, HookSite.ResidPost)], fired);
        var mid = model.RunTo(ids, new HookPoint(0, HookSite.ResidMid));
        Assert.Equal(0, MaxAbsDiff(post, mid));   // resid_post = resid_mid + (zeroed) mlp_out
    }

    [Theory]
    [MemberData(nameof(Families), MemberType = typeof(ModelTestKit))]
    public void Save_then_load_gives_identical_logits_and_a_sharded_copy_loads_too(string family)
    {
        using var scope = TensorScope.Enter();
        using var folder = new IO.TempFolder();
        using var model = Model(family);
        var ids = Ids(2, 6);
        var expected = model.Forward(ids);
        model.Save(folder.Path);
        using (var loaded = TransformerModel.Load(folder.Path, Device.Cpu, DType.Float32))
        {
            Assert.Equal(model.Config, loaded.Config);
            Assert.Equal(0, MaxAbsDiff(expected, loaded.Forward(ids)));
        }
        CheckpointFiles.Shard(folder.Path);
        Assert.False(File.Exists(folder["model.safetensors"]));
        using var sharded = TransformerModel.Load(folder.Path, Device.Cpu, DType.Float32);
        Assert.Equal(0, MaxAbsDiff(expected, sharded.Forward(ids)));
    }

    [Theory]
    [MemberData(nameof(Families), MemberType = typeof(ModelTestKit))]
    public void Bf16_execution_is_close_to_fp32(string family)
    {
        using var scope = TensorScope.Enter();
        using var folder = new IO.TempFolder();
        var ids = Ids(2, 8);
        Tensor fp32;
        using (var model = Model(family))
        {
            // Round the weights to bf16 first, so the comparison measures bf16 execution, not bf16 storage.
            using (TorchRuntime.NoGrad())
                foreach (var (_, p) in model.Parameters) p.Copy_(p.To(DType.BFloat16));
            fp32 = model.Forward(ids);
            model.Save(folder.Path);
        }
        using var bf16 = TransformerModel.Load(folder.Path, Device.Cpu, DType.BFloat16);
        Assert.Equal(DType.BFloat16, bf16.Parameters[0].Value.DType);
        var logits = bf16.Forward(ids);
        Assert.Equal(DType.Float32, logits.DType);
        var relative = MaxAbsDiff(fp32, logits) / MaxAbs(fp32);
        Assert.True(relative < 0.03, $"relative error {relative}");
    }
}

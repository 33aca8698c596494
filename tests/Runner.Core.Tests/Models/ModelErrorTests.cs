using Runner.Core.Models;
using Runner.Torch;
using static Runner.Core.Tests.Models.ModelTestKit;

namespace Runner.Core.Tests.Models;

public sealed class ModelErrorTests
{
    [Fact]
    public void A_missing_tensor_is_an_error_naming_it_its_shape_and_the_file()
    {
        using var folder = new IO.TempFolder();
        using (var model = Model("llama_gqa")) model.Save(folder.Path);
        CheckpointFiles.Edit(folder.Path, t => t.Remove("model.layers.1.self_attn.k_proj.weight"));
        var e = Assert.Throws<RunnerException>(() => TransformerModel.Load(folder.Path, Device.Cpu, DType.Float32));
        Assert.Contains(folder["model.safetensors"], e.Message);
        Assert.Contains("missing tensor model.layers.1.self_attn.k_proj.weight", e.Message);
        Assert.Contains("[12, 16]", e.Message);
    }

    [Fact]
    public void A_wrongly_shaped_tensor_is_an_error_naming_both_shapes_and_the_shard()
    {
        using var folder = new IO.TempFolder();
        using (var model = Model("gpt2")) model.Save(folder.Path);
        CheckpointFiles.Edit(folder.Path, t => t["h.0.attn.c_attn.weight"] = t["h.0.attn.c_attn.weight"].T.Contiguous());
        CheckpointFiles.Shard(folder.Path);
        var e = Assert.Throws<RunnerException>(() => TransformerModel.Load(folder.Path, Device.Cpu, DType.Float32));
        Assert.Contains("tensor h.0.attn.c_attn.weight has shape [48, 16]; expected [16, 48]", e.Message);
        Assert.Contains("model-0000", e.Message);
    }

    [Fact]
    public void Unknown_tensors_are_an_error_listing_them_and_known_buffers_are_ignored()
    {
        using var folder = new IO.TempFolder();
        using (var model = Model("gpt_neox")) model.Save(folder.Path);
        CheckpointFiles.Edit(folder.Path, t =>
        {
            t["gpt_neox.layers.0.attention.rotary_emb.inv_freq"] = Tensors.Ones([4]);
            t["gpt_neox.layers.0.attention.bias"] = Tensors.Ones([1, 1, 4, 4], DType.Bool);
        });
        using (TransformerModel.Load(folder.Path, Device.Cpu, DType.Float32)) { }
        CheckpointFiles.Edit(folder.Path, t => t["model.layers.0.mlp.gate_proj.weight"] = Tensors.Ones([2, 2]));
        var e = Assert.Throws<RunnerException>(() => TransformerModel.Load(folder.Path, Device.Cpu, DType.Float32));
        Assert.Contains("model.layers.0.mlp.gate_proj.weight", e.Message);
        Assert.Contains("gpt_neox", e.Message);
    }

    [Fact]
    public void A_gpt2_checkpoint_with_the_transformer_prefix_buffers_and_a_tied_lm_head_loads()
    {
        using var scope = TensorScope.Enter();
        using var folder = new IO.TempFolder();
        using var model = Model("gpt2");
        var ids = Ids(1, 6);
        var expected = model.Forward(ids);
        model.Save(folder.Path);
        CheckpointFiles.Edit(folder.Path, t =>
        {
            foreach (var name in t.Keys.ToList())
            {
                t["transformer." + name] = t[name];
                t.Remove(name);
            }
            t["transformer.h.0.attn.bias"] = Tensors.Ones([1, 1, 32, 32]);
            t["transformer.h.1.attn.masked_bias"] = Tensors.Scalar(-1e4);
            t["lm_head.weight"] = t["transformer.wte.weight"];
        });
        using var loaded = TransformerModel.Load(folder.Path, Device.Cpu, DType.Float32);
        Assert.Equal(0, MaxAbsDiff(expected, loaded.Forward(ids)));
        Assert.DoesNotContain(loaded.Parameters, p => p.Key.StartsWith("transformer.", StringComparison.Ordinal));
    }

    [Fact]
    public void A_hook_point_past_the_last_layer_is_an_error_naming_the_layer_count()
    {
        using var scope = TensorScope.Enter();
        using var model = Model("gpt2");
        var e = Assert.Throws<RunnerException>(() => model.RunTo(Ids(1, 3), new HookPoint(2, HookSite.ResidPost)));
        Assert.Contains("blocks.2.resid_post", e.Message);
        Assert.Contains("2 layers", e.Message);
        var hooks = new Dictionary<HookPoint, ActivationHook> { [new(-1, HookSite.MlpOut)] = (_, _) => null };
        Assert.Throws<RunnerException>(() => model.Forward(Ids(1, 3), hooks));
    }

    [Fact]
    public void A_hook_returning_the_wrong_shape_is_an_error_naming_the_point_and_both_shapes()
    {
        using var scope = TensorScope.Enter();
        using var model = Model("llama_gqa");
        var hooks = new Dictionary<HookPoint, ActivationHook> { [new(1, HookSite.MlpHidden)] = (a, _) => a.Narrow(2, 0, 3) };
        var e = Assert.Throws<RunnerException>(() => model.Forward(Ids(2, 3), hooks));
        Assert.Contains("blocks.1.mlp_hidden", e.Message);
        Assert.Contains("[2, 3, 3]", e.Message);
        Assert.Contains("[2, 3, 24]", e.Message);
    }

    [Fact]
    public void Gpt2_past_its_positions_is_an_error()
    {
        using var scope = TensorScope.Enter();
        using var model = Model("gpt2");
        var e = Assert.Throws<RunnerException>(() => model.Forward(Ids(1, 33)));
        Assert.Contains("32 positions", e.Message);
    }
}

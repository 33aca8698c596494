using Runner.Core.Models;
using Runner.Torch;
using static Runner.Core.Tests.Models.ModelTestKit;

namespace Runner.Core.Tests.Models;

public sealed class ReferenceForwardTests
{
    [Theory]
    [InlineData("gpt2")]
    [InlineData("gpt_neox")]
    [InlineData("gpt_neox_sequential")]
    [InlineData("llama_gqa")]
    [InlineData("llama_yarn")]
    [InlineData("llama3_scaled")]
    [InlineData("qwen2_tied")]
    [InlineData("mistral_window")]
    public void Forward_matches_a_double_precision_loop_reference_of_a_one_layer_model(string family)
    {
        using var scope = TensorScope.Enter();
        using var model = Model(family, config: Config(family) with { Layers = 1 });
        var ids = Ids(1, 7);
        var logits = Values(model.Forward(ids));
        var expected = new ReferenceForward(model).Logits(ids.ToArray<long>());
        var vocab = model.Config.VocabSize;
        var worst = 0.0;
        for (var t = 0; t < expected.Length; t++)
            for (var v = 0; v < vocab; v++) worst = Math.Max(worst, Math.Abs(expected[t][v] - logits[t * vocab + v]));
        var scale = expected.SelectMany(r => r).Max(Math.Abs);
        Assert.True(scale > 0.5, $"logits too small to discriminate layouts ({scale})");
        Assert.True(worst < 1e-4 * Math.Max(1, scale), $"max |forward - reference| = {worst} (logit scale {scale})");
    }

    [Fact]
    public void Swapping_the_neox_qkv_layout_breaks_the_match()
    {
        // The check above must be able to fail: read NeoX's fused output as [3, heads, hd] and compare.
        using var scope = TensorScope.Enter();
        using var model = Model("gpt_neox", config: Config("gpt_neox") with { Layers = 1 });
        var ids = Ids(1, 7);
        var before = model.Forward(ids);
        using (TorchRuntime.NoGrad())
        {
            var w = model.Parameters.Single(p => p.Key.EndsWith("query_key_value.weight", StringComparison.Ordinal)).Value;
            var d = model.Config.DModel;
            var swapped = w.View(model.Config.Heads, 3, model.Config.HeadDim, d).Transpose(0, 1).Reshape(3 * d, d);
            w.Copy_(swapped);
        }
        var after = model.Forward(ids);
        Assert.True(MaxAbsDiff(before, after) > 1e-2);
    }
}

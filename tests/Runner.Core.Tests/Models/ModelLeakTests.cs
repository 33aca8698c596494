using Runner.Core.Models;
using Runner.Torch;
using static Runner.Core.Tests.Models.ModelTestKit;

namespace Runner.Core.Tests.Models;

public sealed class ModelLeakTests
{
    [Fact]
    public void Twenty_cached_forwards_leave_no_tensor_alive()
    {
        using var model = Model("llama_gqa");
        void Run()
        {
            using var scope = TensorScope.Enter();
            using var cache = model.CreateCache(2);
            var hooks = new Dictionary<HookPoint, ActivationHook> { [new(0, HookSite.ResidMid)] = (a, _) => a * 1.0 };
            model.Forward(Ids(2, 4), hooks, cache);
            for (var i = 0; i < 19; i++) model.Forward(Ids(2, 1, seed: (ulong)i), hooks, cache);
            model.RunTo(Ids(2, 4), new HookPoint(1, HookSite.AttnOut));
        }
        Run();   // warm-up: RoPE tables are allocated once
        var before = Sae.SaeTestKit.SettledLiveCount();
        Run();
        Assert.Equal(before, Sae.SaeTestKit.SettledLiveCount());
    }
}

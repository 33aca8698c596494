using Runner.Core.Sae;
using Runner.Torch;
using static Runner.Core.Tests.Sae.SaeTestKit;

namespace Runner.Core.Tests.Sae;

public sealed class SaeLeakTests
{
    [Theory]
    [InlineData(SaeKind.Relu, SaeKernels.Auto)]
    [InlineData(SaeKind.TopK, SaeKernels.Dense)]
    [InlineData(SaeKind.TopK, SaeKernels.Sparse)]
    [InlineData(SaeKind.BatchTopK, SaeKernels.Auto)]
    [InlineData(SaeKind.JumpRelu, SaeKernels.Auto)]
    public void Training_steps_leave_no_live_native_tensors(SaeKind kind, SaeKernels kernels)
    {
        using var g = new Generator(4);
        using var sae = SaeFactory.Create(Options(kind, kernels: kernels), g, Device.Cpu);
        using var adam = new Adam(sae.Parameters.Select(p => p.Value), lr: 1e-3);
        Tensor x, dead;
        using (var init = TensorScope.Enter())
        {
            x = init.Keep(Inputs(32, dtype: DType.Float32)).DetachFromScope();
            dead = init.Keep(Mask(0, 1, 2, 3, 4, 5)).DetachFromScope();
            sae.InitializeDecoderBias(x);
        }
        void Step(int i)
        {
            using var scope = TensorScope.Enter();
            SaeForward forward;
            using (i % 2 == 0 ? null : TorchRuntime.Autocast(Device.Cpu))
                forward = sae.TrainingForward(x, new SaeStepContext { DeadMask = dead, SparsityScale = 0.5 });
            forward.Loss.Backward();
            sae.BeforeOptimizerStep();
            adam.Step();
            sae.AfterOptimizerStep();
            adam.ZeroGrad();
            _ = forward.Loss.ToDouble() + forward.L0.ToDouble();
            _ = sae.ExportSaeLens();
            _ = sae.Decode(sae.Encode(x));
        }
        try
        {
            Step(0);                                                              // Adam creates its moments
            var baseline = SettledLiveCount();
            for (var i = 1; i <= 6; i++) Step(i);
            Assert.Equal(baseline, SettledLiveCount());
        }
        finally
        {
            x.Dispose();
            dead.Dispose();
        }
    }
}

using Runner.Core.Models;
using Runner.Core.Tests.Sae;
using Runner.Torch;
using static Runner.Core.Tests.Models.ModelTestKit;

namespace Runner.Core.Tests.Models;

/// <summary>
/// Every family on every device: the checkpoint saved from a CPU model and loaded on the device computes
/// what the CPU computes (the cuda rows are what `runner gpu-check` runs on a GPU; skipped without one).
/// </summary>
public sealed class ModelDeviceTests
{
    /// <summary>Each family × cpu, cuda.</summary>
    public static TheoryData<string, string> FamiliesOnDevices()
    {
        var data = new TheoryData<string, string>();
        foreach (var family in new[] { "gpt2", "gpt_neox", "llama_gqa", "qwen2_tied", "mistral_window" })
            foreach (var device in new[] { "cpu", "cuda" }) data.Add(family, device);
        return data;
    }

    private static (Tensor Logits, IO.TempFolder Folder) CpuReference(string family, Tensor ids)
    {
        var folder = new IO.TempFolder();
        using var model = Model(family);
        var logits = model.Forward(ids);
        model.Save(folder.Path);
        return (logits, folder);
    }

    [Theory]
    [MemberData(nameof(FamiliesOnDevices))]
    public void A_checkpoint_loaded_on_the_device_gives_the_cpu_logits_and_activations(string family, string deviceName)
    {
        var device = Devices.Use(deviceName);
        using var scope = TensorScope.Enter();
        var ids = Ids(2, 9);
        var (expected, folder) = CpuReference(family, ids);
        using var _ = folder;
        using var model = TransformerModel.Load(folder.Path, device, DType.Float32);
        var logits = model.Forward(ids);
        Assert.Equal(device.IsCuda, logits.Device.IsCuda);
        var relative = MaxAbsDiff(expected, logits.To(Device.Cpu)) / MaxAbs(expected);
        Assert.True(relative < 1e-4, $"relative difference {relative}");
        using var cpu = TransformerModel.Load(folder.Path, Device.Cpu, DType.Float32);
        var point = new HookPoint(1, HookSite.MlpHidden);
        var act = MaxAbsDiff(cpu.RunTo(ids, point), model.RunTo(ids, point).To(Device.Cpu)) / MaxAbs(cpu.RunTo(ids, point));
        Assert.True(act < 1e-4, $"RunTo relative difference {act}");
    }

    [Theory]
    [MemberData(nameof(FamiliesOnDevices))]
    public void A_kv_cache_on_the_device_gives_the_full_forward_logits(string family, string deviceName)
    {
        var device = Devices.Use(deviceName);
        using var scope = TensorScope.Enter();
        var ids = Ids(2, 10);
        var (_, folder) = CpuReference(family, ids);
        using var __ = folder;
        using var model = TransformerModel.Load(folder.Path, device, DType.Float32);
        var full = model.Forward(ids).To(Device.Cpu);
        using var cache = model.CreateCache(2);
        var parts = new List<Tensor>();
        var start = 0;
        foreach (var n in new[] { 4, 1, 2, 1, 2 })
        {
            parts.Add(model.Forward(ids.Narrow(1, start, n), cache: cache).To(Device.Cpu));
            start += n;
        }
        var diff = MaxAbsDiff(full, Tensors.Cat(parts, 1));
        Assert.True(diff < 1e-4, $"max difference {diff}");
    }

    [Theory]
    [MemberData(nameof(FamiliesOnDevices))]
    public void Bf16_on_the_device_is_close_to_the_cpu_fp32_logits(string family, string deviceName)
    {
        var device = Devices.Use(deviceName);
        using var scope = TensorScope.Enter();
        var ids = Ids(2, 8);
        var folder = new IO.TempFolder();
        using var _ = folder;
        Tensor expected;
        using (var model = Model(family))
        {
            using (TorchRuntime.NoGrad())
                foreach (var (_, p) in model.Parameters) p.Copy_(p.To(DType.BFloat16));   // bf16 storage exactly, so only execution differs
            expected = model.Forward(ids);
            model.Save(folder.Path);
        }
        using var bf16 = TransformerModel.Load(folder.Path, device, DType.BFloat16);
        var logits = bf16.Forward(ids).To(Device.Cpu);
        Assert.Equal(DType.Float32, logits.DType);
        var relative = MaxAbsDiff(expected, logits) / MaxAbs(expected);
        Assert.True(relative < 0.03, $"relative error {relative}");
    }
}

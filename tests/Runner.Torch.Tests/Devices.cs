namespace Runner.Torch.Tests;

/// <summary>The devices a device-parameterized test runs on: cpu always, cuda when present (skipped otherwise).</summary>
public static class Devices
{
    /// <summary>Theory data: "cpu" and "cuda".</summary>
    public static TheoryData<string> All => new("cpu", "cuda");

    /// <summary>The device named by a theory row, skipping the test when it is CUDA and none is present.</summary>
    public static Device Use(string name)
    {
        var device = Device.Parse(name);
        if (device.IsCuda) Assert.SkipUnless(TorchRuntime.CudaIsAvailable, "no CUDA device on this machine");
        return device;
    }
}

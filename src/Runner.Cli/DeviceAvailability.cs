using Runner.Core;
using Runner.Torch;

namespace Runner.Cli;

/// <summary>Refuses a CUDA device this libtorch cannot give, before anything runs: one line, exit 2.</summary>
public static class DeviceAvailability
{
    /// <summary>Returns <paramref name="device"/> when it can be used here; throws a usage error naming the libtorch and the way out otherwise.</summary>
    public static Device Require(Device device)
    {
        if (!device.IsCuda) return device;
        if (!TorchRuntime.CudaIsAvailable)
            throw new RunnerException(
                $"device {device}: this libtorch ({TorchRuntime.Version}, {TorchRuntime.LibraryPath}) has no CUDA or sees no GPU. "
                + "Build the shim against a CUDA libtorch (RUNNER_LIBTORCH_DIR=$(python3 -c 'import torch; print(torch.utils.cmake_prefix_path)'); "
                + "in a bundle: bin/runner setup --force), or run with --device cpu (auto uses CUDA only when present)",
                ExitCodes.Usage);
        var count = TorchRuntime.CudaDeviceCount;
        if (device.Index >= count)
            throw new RunnerException($"device {device}: this machine has {count} CUDA device{(count == 1 ? "" : "s")} (cuda:0{(count > 1 ? $" to cuda:{count - 1}" : "")})", ExitCodes.Usage);
        return device;
    }

    /// <summary><see cref="Require(Device)"/> for a spec's or option's device text (auto, cpu, cuda, cuda:N).</summary>
    public static void Require(string device) => Require(Device.Parse(device));
}

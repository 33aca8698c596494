namespace Runner.Torch;

/// <summary>Where a tensor lives. <see cref="Type"/> values are c10::DeviceType's.</summary>
public readonly record struct Device(DeviceType Type, int Index = -1)
{
    /// <summary>The CPU.</summary>
    public static readonly Device Cpu = new(DeviceType.Cpu);

    /// <summary>The current CUDA device.</summary>
    public static readonly Device Cuda = new(DeviceType.Cuda);

    /// <summary>CUDA when a device is available, otherwise the CPU.</summary>
    public static Device Auto => TorchRuntime.CudaIsAvailable ? Cuda : Cpu;

    /// <summary>Parses <c>cpu</c>, <c>cuda</c>, <c>cuda:N</c> or <c>auto</c>.</summary>
    public static Device Parse(string s)
    {
        var t = s.Trim().ToLowerInvariant();
        if (t == "auto") return Auto;
        if (t == "cpu") return Cpu;
        if (t == "cuda") return Cuda;
        if (t.StartsWith("cuda:", StringComparison.Ordinal) && int.TryParse(t.AsSpan(5), out var i) && i >= 0)
            return new Device(DeviceType.Cuda, i);
        throw new FormatException($"unknown device '{s}' (expected auto, cpu, cuda or cuda:N)");
    }

    /// <summary>True for the CPU.</summary>
    public bool IsCpu => Type == DeviceType.Cpu;

    /// <summary>True for a CUDA device.</summary>
    public bool IsCuda => Type == DeviceType.Cuda;

    /// <inheritdoc/>
    public override string ToString() => Type switch
    {
        DeviceType.Cpu => "cpu",
        DeviceType.Cuda => Index >= 0 ? $"cuda:{Index}" : "cuda",
        _ => $"{Type}:{Index}".ToLowerInvariant(),
    };
}

/// <summary>c10::DeviceType values for the devices Runner uses.</summary>
public enum DeviceType
{
    /// <summary>The CPU.</summary>
    Cpu = 0,
    /// <summary>An NVIDIA GPU.</summary>
    Cuda = 1,
}

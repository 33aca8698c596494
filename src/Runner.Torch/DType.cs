namespace Runner.Torch;

/// <summary>Element types. The values are c10::ScalarType's, which is what crosses the ABI.</summary>
public enum DType
{
    /// <summary>uint8</summary>
    UInt8 = 0,
    /// <summary>int32</summary>
    Int32 = 3,
    /// <summary>int64 (indices, token ids)</summary>
    Int64 = 4,
    /// <summary>IEEE half precision</summary>
    Float16 = 5,
    /// <summary>fp32</summary>
    Float32 = 6,
    /// <summary>fp64</summary>
    Float64 = 7,
    /// <summary>bool</summary>
    Bool = 11,
    /// <summary>bfloat16</summary>
    BFloat16 = 15,
}

/// <summary>Facts about <see cref="DType"/> values.</summary>
public static class DTypes
{
    /// <summary>Bytes per element.</summary>
    public static int ElementSize(this DType t) => t switch
    {
        DType.UInt8 or DType.Bool => 1,
        DType.Float16 or DType.BFloat16 => 2,
        DType.Int32 or DType.Float32 => 4,
        DType.Int64 or DType.Float64 => 8,
        _ => throw new ArgumentOutOfRangeException(nameof(t), t, "unknown dtype"),
    };

    /// <summary>True for the floating-point types.</summary>
    public static bool IsFloatingPoint(this DType t) =>
        t is DType.Float16 or DType.BFloat16 or DType.Float32 or DType.Float64;

    /// <summary>Parses the spec spelling: float32|fp32, bfloat16|bf16, float16|fp16|half, float64, int64, int32, bool, uint8.</summary>
    public static DType Parse(string s) => s.Trim().ToLowerInvariant() switch
    {
        "float32" or "fp32" or "float" => DType.Float32,
        "bfloat16" or "bf16" => DType.BFloat16,
        "float16" or "fp16" or "half" => DType.Float16,
        "float64" or "fp64" or "double" => DType.Float64,
        "int64" or "long" => DType.Int64,
        "int32" or "int" => DType.Int32,
        "bool" => DType.Bool,
        "uint8" => DType.UInt8,
        _ => throw new FormatException($"unknown dtype '{s}' (expected float32, bfloat16, float16, float64, int64, int32, bool or uint8)"),
    };

    /// <summary>The canonical lower-case name, e.g. "bfloat16".</summary>
    public static string Name(this DType t) => t.ToString().ToLowerInvariant();
}

using Runner.Torch;

namespace Runner.Core.IO;

/// <summary>The safetensors dtype strings Runner reads and writes, and their <see cref="DType"/>s.</summary>
public static class SafetensorsDTypes
{
    private static readonly (string Name, DType DType)[] Table =
    [
        ("F32", DType.Float32), ("F16", DType.Float16), ("BF16", DType.BFloat16), ("F64", DType.Float64),
        ("I64", DType.Int64), ("I32", DType.Int32), ("U8", DType.UInt8), ("BOOL", DType.Bool),
    ];

    /// <summary>Every supported dtype string, in the order error messages list them.</summary>
    public static IReadOnlyList<string> Names { get; } = Table.Select(t => t.Name).ToArray();

    /// <summary>The dtype for a header's dtype string (exact, upper case as the format writes it); false when unsupported.</summary>
    public static bool TryParse(string name, out DType dtype)
    {
        foreach (var (n, d) in Table)
        {
            if (string.Equals(n, name, StringComparison.Ordinal))
            {
                dtype = d;
                return true;
            }
        }
        dtype = default;
        return false;
    }

    /// <summary>The header's dtype string for <paramref name="dtype"/> (e.g. "BF16").</summary>
    public static string Name(DType dtype)
    {
        foreach (var (n, d) in Table)
            if (d == dtype) return n;
        throw new ArgumentOutOfRangeException(nameof(dtype), dtype, "no safetensors dtype string");
    }
}

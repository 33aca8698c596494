using Runner.Torch;

namespace Runner.Core.IO;

/// <summary>One tensor as a safetensors header describes it (already validated).</summary>
public sealed record SafetensorsTensorInfo
{
    /// <summary>The tensor's name (the header key).</summary>
    public required string Name { get; init; }

    /// <summary>Element type.</summary>
    public required DType DType { get; init; }

    /// <summary>The sizes of the dimensions ([] for a scalar).</summary>
    public required IReadOnlyList<long> Shape { get; init; }

    /// <summary>First byte, relative to the start of the data section (the header's <c>data_offsets[0]</c>).</summary>
    public required long Begin { get; init; }

    /// <summary>One past the last byte, relative to the data section (<c>data_offsets[1]</c>).</summary>
    public required long End { get; init; }

    /// <summary>Bytes of data: <see cref="End"/> - <see cref="Begin"/>.</summary>
    public long ByteLength => End - Begin;

    /// <summary>Number of elements (1 for a scalar).</summary>
    public long NumberOfElements => Shape.Aggregate(1L, (a, b) => a * b);

    /// <summary>The shape as an array, for tensor calls.</summary>
    public long[] ShapeArray => [.. Shape];

    /// <summary>The header's dtype string and shape, e.g. <c>F32 [2, 3]</c>.</summary>
    public string Describe() => $"{SafetensorsDTypes.Name(DType)} [{string.Join(", ", Shape)}]";
}

namespace Runner.Core.IO.Parquet;

/// <summary>
/// Parquet's RLE/bit-packing hybrid (Encodings.md), used for definition levels and dictionary
/// indices. A run of 8 or more equal values becomes an RLE run (header <c>count &lt;&lt; 1</c>, the
/// value in ceil(width/8) little-endian bytes); everything else is bit-packed in groups of 8
/// (header <c>groups &lt;&lt; 1 | 1</c>, values packed least significant bit first). Only the last
/// group of the whole sequence is padded, so a reader that knows the value count reads it back exactly.
/// </summary>
internal static class RleHybridEncoder
{
    // At most 63 groups per bit-packed run keeps the header in one byte, as common writers do.
    private const int MaxGroupsPerRun = 63;

    /// <summary>The smallest bit width that holds every value in 0..<paramref name="maxValue"/> (at least 1).</summary>
    public static int BitWidth(int maxValue) => Math.Max(1, 32 - int.LeadingZeroCount(maxValue));

    /// <summary>Appends the encoding of <paramref name="values"/> (each below 2^<paramref name="bitWidth"/>) to <paramref name="output"/>.</summary>
    public static void Encode(ReadOnlySpan<int> values, int bitWidth, Stream output)
    {
        var i = 0;
        while (i < values.Length)
        {
            var run = RunLength(values, i);
            if (run >= 8)
            {
                WriteVarint(output, (uint)run << 1);
                WriteRunValue(output, values[i], bitWidth);
                i += run;
                continue;
            }
            // Literal values up to the next aligned start of a long run (or the end, or the run cap).
            var end = i + 8;
            while (end < values.Length && end - i < MaxGroupsPerRun * 8 && RunLength(values, end) < 8) end += 8;
            end = Math.Min(end, values.Length);
            WriteBitPacked(output, values[i..end], bitWidth);
            i = end;
        }
    }

    private static int RunLength(ReadOnlySpan<int> values, int start)
    {
        var end = start + 1;
        while (end < values.Length && values[end] == values[start]) end++;
        return end - start;
    }

    private static void WriteBitPacked(Stream output, ReadOnlySpan<int> values, int bitWidth)
    {
        var groups = (values.Length + 7) / 8;
        WriteVarint(output, ((uint)groups << 1) | 1);
        Span<byte> bytes = stackalloc byte[bitWidth * 8];
        for (var g = 0; g < groups; g++)
        {
            var packed = bytes[..bitWidth];
            packed.Clear();
            var bit = 0;
            for (var j = 0; j < 8; j++, bit += bitWidth)
            {
                var index = g * 8 + j;
                var v = index < values.Length ? (uint)values[index] : 0u; // padding of the last group
                for (var b = 0; b < bitWidth; b++)
                {
                    if (((v >> b) & 1) != 0) packed[(bit + b) >> 3] |= (byte)(1 << ((bit + b) & 7));
                }
            }
            output.Write(packed);
        }
    }

    private static void WriteRunValue(Stream output, int value, int bitWidth)
    {
        for (var b = 0; b < (bitWidth + 7) / 8; b++) output.WriteByte((byte)(value >> (8 * b)));
    }

    private static void WriteVarint(Stream output, uint v)
    {
        while (v >= 0x80)
        {
            output.WriteByte((byte)(v | 0x80));
            v >>= 7;
        }
        output.WriteByte((byte)v);
    }
}

using System.Buffers.Binary;
using System.Text;

namespace Runner.Core.IO.Parquet;

/// <summary>
/// One row group's values of one column, split into the definition mask (null for a column without
/// nulls) and the dense non-null values, with PLAIN encoding and statistics.
/// </summary>
internal abstract class ColumnValues
{
    protected ColumnValues(int rows, bool[]? defined, int count)
    {
        Rows = rows;
        Defined = defined;
        Count = count;
    }

    /// <summary>Rows in the row group.</summary>
    public int Rows { get; }

    /// <summary>Per row, whether it has a value; null when every row has one.</summary>
    public bool[]? Defined { get; }

    /// <summary>The number of non-null values.</summary>
    public int Count { get; }

    /// <summary>Appends the PLAIN encoding of the non-null values <paramref name="start"/>..<paramref name="end"/>.</summary>
    public abstract void WritePlain(Stream output, int start, int end);

    /// <summary>The PLAIN size of non-null value <paramref name="index"/> in bytes (1/8 for booleans).</summary>
    public abstract double PlainBytes(int index);

    /// <summary>The PLAIN-encoded minimum and maximum (Statistics.min_value/max_value), or nulls when there are none to write.</summary>
    public abstract (byte[]? Min, byte[]? Max) MinMax(int maxStatisticsBytes);

    /// <summary>NaN values (floating-point columns), or null for other types.</summary>
    public virtual long? NanCount => null;

    /// <summary>Normalizes <paramref name="values"/> for <paramref name="column"/>; ArgumentException when its type does not match.</summary>
    public static ColumnValues From(ParquetColumn column, Array values)
    {
        return column.Type switch
        {
            ParquetType.Int32 => Fixed<int>(column, values, (s, v) => BinaryPrimitives.WriteInt32LittleEndian(s, v), 4, Comparer<int>.Default),
            ParquetType.Int64 => Fixed<long>(column, values, (s, v) => BinaryPrimitives.WriteInt64LittleEndian(s, v), 8, Comparer<long>.Default),
            ParquetType.Float => Floats(column, values),
            ParquetType.Double => Doubles(column, values),
            ParquetType.Boolean => Booleans(column, values),
            ParquetType.String => Strings(column, values),
            _ => throw new ArgumentOutOfRangeException(nameof(column), column.Type, "unknown Parquet type"),
        };
    }

    private static FixedValues<T> Fixed<T>(ParquetColumn column, Array values, FixedValues<T>.Encoder encode, int width, IComparer<T> order)
        where T : struct
    {
        var (dense, defined) = Split<T>(column, values);
        return new FixedValues<T>(values.Length, defined, dense, encode, width, order);
    }

    private static ColumnValues Floats(ParquetColumn column, Array values)
    {
        var (dense, defined) = Split<float>(column, values);
        return new FloatValues<float>(values.Length, defined, dense, (s, v) => BinaryPrimitives.WriteSingleLittleEndian(s, v), 4,
            float.IsNaN, v => v == 0 ? -0f : v, v => v == 0 ? 0f : v);
    }

    private static ColumnValues Doubles(ParquetColumn column, Array values)
    {
        var (dense, defined) = Split<double>(column, values);
        return new FloatValues<double>(values.Length, defined, dense, (s, v) => BinaryPrimitives.WriteDoubleLittleEndian(s, v), 8,
            double.IsNaN, v => v == 0 ? -0d : v, v => v == 0 ? 0d : v);
    }

    private static ColumnValues Booleans(ParquetColumn column, Array values)
    {
        var (dense, defined) = Split<bool>(column, values);
        return new BooleanValues(values.Length, defined, dense);
    }

    private static ColumnValues Strings(ParquetColumn column, Array values)
    {
        if (values is not string?[] strings) throw TypeMismatch(column, values, "string[]");
        var dense = new List<string>(strings.Length);
        bool[]? defined = null;
        for (var i = 0; i < strings.Length; i++)
        {
            if (strings[i] is { } s)
            {
                dense.Add(s);
                continue;
            }
            if (!column.Optional) throw new ArgumentException($"column '{column.Name}' is required but row {i} is null", nameof(values));
            defined ??= Enumerable.Repeat(true, strings.Length).ToArray();
            defined[i] = false;
        }
        return new StringValues(strings.Length, defined, dense);
    }

    // T[] is used as is; T?[] is split into a dense copy and the definition mask.
    private static (T[] Dense, bool[]? Defined) Split<T>(ParquetColumn column, Array values)
        where T : struct
    {
        if (values is T[] plain) return (plain, null);
        if (values is not T?[] nullable) throw TypeMismatch(column, values, $"{typeof(T).Name}[] or {typeof(T).Name}?[]");
        var nulls = 0;
        foreach (var v in nullable) if (!v.HasValue) nulls++;
        if (nulls == 0) return (nullable.Select(v => v!.Value).ToArray(), null);
        var firstNull = Array.FindIndex(nullable, v => !v.HasValue);
        if (!column.Optional) throw new ArgumentException($"column '{column.Name}' is required but row {firstNull} is null", nameof(values));
        var dense = new T[nullable.Length - nulls];
        var defined = new bool[nullable.Length];
        var k = 0;
        for (var i = 0; i < nullable.Length; i++)
        {
            if (nullable[i] is not { } v) continue;
            defined[i] = true;
            dense[k++] = v;
        }
        return (dense, defined);
    }

    private static ArgumentException TypeMismatch(ParquetColumn column, Array values, string expected) =>
        new($"column '{column.Name}' ({column.Type}) takes {expected}, got {values.GetType().Name}", nameof(values));

    private sealed class FixedValues<T>(int rows, bool[]? defined, T[] dense, FixedValues<T>.Encoder encode, int width, IComparer<T> order)
        : ColumnValues(rows, defined, dense.Length)
        where T : struct
    {
        public delegate void Encoder(Span<byte> destination, T value);

        public override void WritePlain(Stream output, int start, int end) => WriteFixed(output, dense, start, end, encode, width);

        public override double PlainBytes(int index) => width;

        public override (byte[]? Min, byte[]? Max) MinMax(int maxStatisticsBytes)
        {
            if (dense.Length == 0) return (null, null);
            T min = dense[0], max = dense[0];
            foreach (var v in dense)
            {
                if (order.Compare(v, min) < 0) min = v;
                if (order.Compare(v, max) > 0) max = v;
            }
            return (Encode(min, encode, width), Encode(max, encode, width));
        }
    }

    private sealed class FloatValues<T>(int rows, bool[]? defined, T[] dense, FixedValues<T>.Encoder encode, int width,
        Func<T, bool> isNaN, Func<T, T> minZero, Func<T, T> maxZero)
        : ColumnValues(rows, defined, dense.Length)
        where T : struct, IComparable<T>
    {
        public override void WritePlain(Stream output, int start, int end) => WriteFixed(output, dense, start, end, encode, width);

        public override double PlainBytes(int index) => width;

        public override long? NanCount => dense.LongCount(isNaN);

        // NaN never enters min/max; all-NaN chunks get none; a zero minimum is written -0, a zero maximum +0 (parquet.thrift, ColumnOrder).
        public override (byte[]? Min, byte[]? Max) MinMax(int maxStatisticsBytes)
        {
            T? min = null, max = null;
            foreach (var v in dense)
            {
                if (isNaN(v)) continue;
                if (min is null || v.CompareTo(min.Value) < 0) min = v;
                if (max is null || v.CompareTo(max.Value) > 0) max = v;
            }
            if (min is null || max is null) return (null, null);
            return (Encode(minZero(min.Value), encode, width), Encode(maxZero(max.Value), encode, width));
        }
    }

    private sealed class BooleanValues(int rows, bool[]? defined, bool[] dense) : ColumnValues(rows, defined, dense.Length)
    {
        // PLAIN booleans: one bit per value, least significant bit first.
        public override void WritePlain(Stream output, int start, int end)
        {
            var bytes = new byte[(end - start + 7) / 8];
            for (var i = start; i < end; i++)
                if (dense[i]) bytes[(i - start) >> 3] |= (byte)(1 << ((i - start) & 7));
            output.Write(bytes);
        }

        public override double PlainBytes(int index) => 0.125;

        public override (byte[]? Min, byte[]? Max) MinMax(int maxStatisticsBytes)
        {
            if (dense.Length == 0) return (null, null);
            var anyTrue = Array.IndexOf(dense, true) >= 0;
            var anyFalse = Array.IndexOf(dense, false) >= 0;
            return ([anyFalse ? (byte)0 : (byte)1], [anyTrue ? (byte)1 : (byte)0]);
        }
    }

    /// <summary>String values as UTF-8 bytes; also the input of dictionary encoding.</summary>
    internal sealed class StringValues : ColumnValues
    {
        public StringValues(int rows, bool[]? defined, List<string> dense) : base(rows, defined, dense.Count)
        {
            Utf8 = new byte[dense.Count][];
            var cache = new Dictionary<string, byte[]>(StringComparer.Ordinal);
            for (var i = 0; i < dense.Count; i++)
            {
                if (!cache.TryGetValue(dense[i], out var bytes))
                {
                    bytes = Encoding.UTF8.GetBytes(dense[i]);
                    if (cache.Count < 1 << 16) cache[dense[i]] = bytes;
                }
                Utf8[i] = bytes;
            }
        }

        /// <summary>Each non-null value's UTF-8 bytes.</summary>
        public byte[][] Utf8 { get; }

        public override void WritePlain(Stream output, int start, int end) => WritePlainStrings(output, Utf8.AsSpan(start, end - start));

        public override double PlainBytes(int index) => 4 + Utf8[index].Length;

        // UTF8 columns order by unsigned bytes, which differs from UTF-16 ordinal order past the BMP.
        public override (byte[]? Min, byte[]? Max) MinMax(int maxStatisticsBytes)
        {
            if (Utf8.Length == 0) return (null, null);
            byte[] min = Utf8[0], max = Utf8[0];
            foreach (var v in Utf8)
            {
                if (v.AsSpan().SequenceCompareTo(min) < 0) min = v;
                if (v.AsSpan().SequenceCompareTo(max) > 0) max = v;
            }
            return min.Length > maxStatisticsBytes || max.Length > maxStatisticsBytes ? (null, null) : (min, max);
        }

        /// <summary>PLAIN BYTE_ARRAY values: a 4-byte little-endian length, then the bytes.</summary>
        public static void WritePlainStrings(Stream output, ReadOnlySpan<byte[]> values)
        {
            Span<byte> length = stackalloc byte[4];
            foreach (var v in values)
            {
                BinaryPrimitives.WriteInt32LittleEndian(length, v.Length);
                output.Write(length);
                output.Write(v);
            }
        }
    }

    private static void WriteFixed<T>(Stream output, T[] values, int start, int end, FixedValues<T>.Encoder encode, int width)
        where T : struct
    {
        var buffer = new byte[Math.Min(end - start, 8192) * width];
        for (var i = start; i < end;)
        {
            var n = Math.Min(end - i, buffer.Length / width);
            for (var j = 0; j < n; j++) encode(buffer.AsSpan(j * width, width), values[i + j]);
            output.Write(buffer, 0, n * width);
            i += n;
        }
    }

    private static byte[] Encode<T>(T value, FixedValues<T>.Encoder encode, int width)
        where T : struct
    {
        var bytes = new byte[width];
        encode(bytes, value);
        return bytes;
    }
}

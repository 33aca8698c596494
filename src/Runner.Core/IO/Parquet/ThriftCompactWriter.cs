using System.Buffers;
using System.Text;

namespace Runner.Core.IO.Parquet;

/// <summary>
/// The subset of Thrift's compact protocol that Parquet's footer and page headers need: structs
/// with i32/i64/bool/binary/struct/list fields, lists of i32, binary and structs. Field headers are
/// delta-encoded against the previous field id of the same struct (short form for deltas 1..15),
/// integers are zigzag varints, a struct ends with a 0 byte.
/// </summary>
internal sealed class ThriftCompactWriter
{
    // Compact protocol type codes.
    private const byte BoolTrue = 1, BoolFalse = 2, I16 = 4, I32 = 5, I64 = 6, Binary = 8, List = 9, Struct = 12;

    private readonly ArrayBufferWriter<byte> _out = new(256);
    private readonly Stack<short> _outer = new();
    private short _lastField;

    /// <summary>The bytes written so far.</summary>
    public ReadOnlySpan<byte> Written => _out.WrittenSpan;

    /// <summary>Starts a struct (the top-level message or a list element).</summary>
    public void BeginStruct()
    {
        _outer.Push(_lastField);
        _lastField = 0;
    }

    /// <summary>Ends the current struct with the stop byte.</summary>
    public void EndStruct()
    {
        WriteByte(0);
        _lastField = _outer.Pop();
    }

    public void FieldI16(short id, short value)
    {
        FieldHeader(id, I16);
        WriteVarint(ZigZag((int)value));
    }

    public void FieldI32(short id, int value)
    {
        FieldHeader(id, I32);
        WriteVarint(ZigZag(value));
    }

    public void FieldI64(short id, long value)
    {
        FieldHeader(id, I64);
        WriteVarint(ZigZag(value));
    }

    public void FieldBool(short id, bool value) => FieldHeader(id, value ? BoolTrue : BoolFalse);

    public void FieldBinary(short id, ReadOnlySpan<byte> value)
    {
        FieldHeader(id, Binary);
        WriteBinary(value);
    }

    public void FieldString(short id, string value) => FieldBinary(id, Encoding.UTF8.GetBytes(value));

    /// <summary>Starts a struct-valued field; close it with <see cref="EndStruct"/>.</summary>
    public void BeginStructField(short id)
    {
        FieldHeader(id, Struct);
        BeginStruct();
    }

    /// <summary>A list of structs follows: call <see cref="BeginStruct"/>/<see cref="EndStruct"/> <paramref name="count"/> times.</summary>
    public void BeginStructList(short id, int count) => ListHeader(id, Struct, count);

    public void FieldI32List(short id, IReadOnlyList<int> values)
    {
        ListHeader(id, I32, values.Count);
        foreach (var v in values) WriteVarint(ZigZag(v));
    }

    public void FieldStringList(short id, IReadOnlyList<string> values)
    {
        ListHeader(id, Binary, values.Count);
        foreach (var v in values) WriteBinary(Encoding.UTF8.GetBytes(v));
    }

    private void ListHeader(short id, byte elementType, int count)
    {
        FieldHeader(id, List);
        if (count < 15)
        {
            WriteByte((byte)((count << 4) | elementType));
        }
        else
        {
            WriteByte((byte)(0xF0 | elementType));
            WriteVarint((uint)count);
        }
    }

    private void FieldHeader(short id, byte type)
    {
        var delta = id - _lastField;
        if (delta is > 0 and <= 15)
        {
            WriteByte((byte)((delta << 4) | type));
        }
        else
        {
            WriteByte(type);
            WriteVarint(ZigZag((int)id));
        }
        _lastField = id;
    }

    private void WriteBinary(ReadOnlySpan<byte> value)
    {
        WriteVarint((uint)value.Length);
        value.CopyTo(_out.GetSpan(value.Length));
        _out.Advance(value.Length);
    }

    private void WriteByte(byte b)
    {
        _out.GetSpan(1)[0] = b;
        _out.Advance(1);
    }

    private void WriteVarint(ulong v)
    {
        var span = _out.GetSpan(10);
        var n = 0;
        while (v >= 0x80)
        {
            span[n++] = (byte)(v | 0x80);
            v >>= 7;
        }
        span[n++] = (byte)v;
        _out.Advance(n);
    }

    private static ulong ZigZag(int v) => (uint)((v << 1) ^ (v >> 31));

    private static ulong ZigZag(long v) => (ulong)((v << 1) ^ (v >> 63));
}

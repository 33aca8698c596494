using System.Buffers.Binary;
using System.Text.Encodings.Web;
using System.Text.Json;
using Runner.Torch;

namespace Runner.Core.IO;

/// <summary>
/// The safetensors header: an 8-byte little-endian length N, then N bytes of UTF-8 JSON mapping each
/// tensor name to <c>{"dtype", "shape", "data_offsets": [begin, end]}</c> (offsets relative to the
/// data section that follows) plus an optional <c>"__metadata__"</c> string map. Parsing validates
/// everything the Rust reference implementation does, so a file Runner accepts is one
/// <c>safetensors</c> accepts, and the reverse.
/// </summary>
internal static class SafetensorsHeader
{
    /// <summary>The reference implementation's limit on N.</summary>
    internal const long MaxHeaderBytes = 100_000_000;

    internal const string MetadataKey = "__metadata__";

    /// <summary>The exception for a malformed file: one line naming the file and what is wrong.</summary>
    internal static RunnerException Invalid(string path, string what) => new($"{path}: not a valid safetensors file: {what}");

    /// <summary>Reads and checks the length prefix of a file of <paramref name="fileLength"/> bytes; returns N.</summary>
    internal static long ReadLength(ReadOnlySpan<byte> prefix, long fileLength, string path)
    {
        if (fileLength < 8)
            throw Invalid(path, $"it is {fileLength} bytes long, shorter than the 8-byte header length");
        var n = BinaryPrimitives.ReadUInt64LittleEndian(prefix);
        if (n > MaxHeaderBytes)
            throw Invalid(path, $"the header length is {n} bytes, over the format's limit of {MaxHeaderBytes} (truncated, corrupt, or not a safetensors file)");
        if ((long)n > fileLength - 8)
            throw Invalid(path, $"the header length is {n} bytes but only {fileLength - 8} bytes follow the length (the file is truncated)");
        if (n < 2)
            throw Invalid(path, $"the header length is {n} bytes, too short for a JSON object");
        return (long)n;
    }

    /// <summary>
    /// Parses and validates the JSON header; <paramref name="dataLength"/> is the size of the data
    /// section (file length - 8 - N). Tensors come back in header order.
    /// </summary>
    internal static (IReadOnlyList<SafetensorsTensorInfo> Tensors, IReadOnlyDictionary<string, string> Metadata) Parse(byte[] json, long dataLength, string path)
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(json);
        }
        catch (JsonException e)
        {
            throw Invalid(path, $"the header is not valid JSON: {e.Message}");
        }
        using (document)
        {
            if (document.RootElement.ValueKind != JsonValueKind.Object)
                throw Invalid(path, $"the header must be a JSON object, got {Kind(document.RootElement)}");
            var tensors = new List<SafetensorsTensorInfo>();
            var metadata = new Dictionary<string, string>(StringComparer.Ordinal);
            var seen = new HashSet<string>(StringComparer.Ordinal);
            foreach (var property in document.RootElement.EnumerateObject())
            {
                if (!seen.Add(property.Name))
                    throw Invalid(path, $"'{property.Name}' appears twice in the header");
                if (property.Name == MetadataKey) ReadMetadata(property.Value, metadata, path);
                else tensors.Add(ReadTensor(property.Name, property.Value, path));
            }
            CheckLayout(tensors, dataLength, path);
            return (tensors, metadata);
        }
    }

    private static void ReadMetadata(JsonElement value, Dictionary<string, string> metadata, string path)
    {
        if (value.ValueKind != JsonValueKind.Object)
            throw Invalid(path, $"{MetadataKey} must be an object of strings, got {Kind(value)}");
        foreach (var p in value.EnumerateObject())
        {
            if (p.Value.ValueKind != JsonValueKind.String)
                throw Invalid(path, $"{MetadataKey}.{p.Name} must be a string, got {Kind(p.Value)}");
            metadata[p.Name] = p.Value.GetString()!;
        }
    }

    private static SafetensorsTensorInfo ReadTensor(string name, JsonElement value, string path)
    {
        string Where() => $"tensor '{name}'";
        if (value.ValueKind != JsonValueKind.Object)
            throw Invalid(path, $"{Where()} must be an object with dtype, shape and data_offsets, got {Kind(value)}");
        if (!value.TryGetProperty("dtype", out var dtypeElement) || dtypeElement.ValueKind != JsonValueKind.String)
            throw Invalid(path, $"{Where()} has no dtype string");
        var dtypeName = dtypeElement.GetString()!;
        if (!SafetensorsDTypes.TryParse(dtypeName, out var dtype))
            throw Invalid(path, $"{Where()} has unsupported dtype '{dtypeName}' (supported: {string.Join(", ", SafetensorsDTypes.Names)})");
        if (!value.TryGetProperty("shape", out var shapeElement))
            throw Invalid(path, $"{Where()} has no shape");
        var shape = Integers(shapeElement, -1)
            ?? throw Invalid(path, $"{Where()} shape must be an array of non-negative integers, got {shapeElement.GetRawText()}");
        if (!value.TryGetProperty("data_offsets", out var offsetsElement))
            throw Invalid(path, $"{Where()} has no data_offsets");
        var offsets = Integers(offsetsElement, 2);
        if (offsets is null || offsets[0] > offsets[1])
            throw Invalid(path, $"{Where()} data_offsets must be [begin, end] with 0 <= begin <= end, got {offsetsElement.GetRawText()}");
        var info = new SafetensorsTensorInfo { Name = name, DType = dtype, Shape = shape, Begin = offsets[0], End = offsets[1] };
        long bytes;
        try
        {
            bytes = checked(shape.Aggregate(1L, (a, b) => a * b) * dtype.ElementSize());
        }
        catch (OverflowException)
        {
            throw Invalid(path, $"{Where()} {info.Describe()} has more elements than fit in 64 bits");
        }
        if (bytes != info.ByteLength)
            throw Invalid(path, $"{Where()} {info.Describe()} needs {bytes} bytes but data_offsets [{info.Begin}, {info.End}] span {info.ByteLength}");
        return info;
    }

    // Sorted by offset, tensors must tile the data section exactly: no overlap, no gap, nothing past the end.
    private static void CheckLayout(List<SafetensorsTensorInfo> tensors, long dataLength, string path)
    {
        foreach (var t in tensors)
        {
            if (t.End > dataLength)
                throw Invalid(path, $"tensor '{t.Name}' data_offsets [{t.Begin}, {t.End}] reach past the end of the data section ({dataLength} bytes): the file is truncated or the header is wrong");
        }
        SafetensorsTensorInfo? previous = null;
        long expected = 0;
        foreach (var t in tensors.OrderBy(t => t.Begin).ThenBy(t => t.End))
        {
            if (t.Begin < expected)
                throw Invalid(path, $"tensor '{t.Name}' data_offsets [{t.Begin}, {t.End}] overlap tensor '{previous!.Name}' [{previous.Begin}, {previous.End}]");
            if (t.Begin > expected)
                throw Invalid(path, $"bytes [{expected}, {t.Begin}) of the data section, before tensor '{t.Name}', belong to no tensor");
            expected = t.End;
            previous = t;
        }
        if (expected != dataLength)
            throw Invalid(path, $"the data section has {dataLength} bytes but the tensors end at byte {expected}");
    }

    /// <summary>A JSON array of non-negative integers (of <paramref name="count"/> items unless -1), else null.</summary>
    private static long[]? Integers(JsonElement element, int count)
    {
        if (element.ValueKind != JsonValueKind.Array) return null;
        var values = new List<long>();
        foreach (var item in element.EnumerateArray())
        {
            if (item.ValueKind != JsonValueKind.Number || !item.TryGetInt64(out var v) || v < 0) return null;
            values.Add(v);
        }
        return count >= 0 && values.Count != count ? null : [.. values];
    }

    private static string Kind(JsonElement e) => e.ValueKind.ToString().ToLowerInvariant();

    /// <summary>
    /// The bytes before the data section: length prefix, JSON (metadata first, then the tensors in
    /// the given order; keys of the metadata sorted) and space padding so the data section starts at
    /// a multiple of <paramref name="alignment"/>.
    /// </summary>
    internal static byte[] Serialize(IEnumerable<SafetensorsTensorInfo> tensors, IReadOnlyDictionary<string, string>? metadata, int alignment = 8)
    {
        using var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer, new JsonWriterOptions { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            w.WriteStartObject();
            if (metadata is { Count: > 0 })
            {
                w.WriteStartObject(MetadataKey);
                foreach (var (key, value) in metadata.OrderBy(p => p.Key, StringComparer.Ordinal)) w.WriteString(key, value);
                w.WriteEndObject();
            }
            foreach (var t in tensors)
            {
                w.WriteStartObject(t.Name);
                w.WriteString("dtype", SafetensorsDTypes.Name(t.DType));
                w.WriteStartArray("shape");
                foreach (var s in t.Shape) w.WriteNumberValue(s);
                w.WriteEndArray();
                w.WriteStartArray("data_offsets");
                w.WriteNumberValue(t.Begin);
                w.WriteNumberValue(t.End);
                w.WriteEndArray();
                w.WriteEndObject();
            }
            w.WriteEndObject();
        }
        var json = buffer.ToArray();
        var padded = (8 + json.Length + alignment - 1) / alignment * alignment - 8;
        var header = new byte[8 + padded];
        BinaryPrimitives.WriteUInt64LittleEndian(header, (ulong)padded);
        json.CopyTo(header, 8);
        header.AsSpan(8 + json.Length).Fill((byte)' ');
        return header;
    }
}

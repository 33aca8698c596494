using System.Reflection;

namespace Runner.Core.IO.Parquet;

/// <summary>
/// Writes a flat Parquet file a row group at a time, so a table larger than memory streams out in
/// pieces: only the footer's metadata stays in memory. Data pages are format v1; strings may be
/// dictionary-encoded (<see cref="ParquetColumn.StringEncoding"/>); every chunk carries statistics
/// (null count, min/max, NaN count for floating point). The file is written under a temporary name
/// in the target folder and renamed into place by <see cref="Complete"/>; disposing without
/// completing deletes it, leaving any previous file untouched.
/// </summary>
public sealed class ParquetWriter : IDisposable
{
    private readonly List<(long Rows, IReadOnlyList<ColumnChunk> Chunks)> _rowGroups = [];
    private readonly string _temp;
    private FileStream? _stream;
    private long _position;
    private bool _completed;

    /// <summary>Creates the temporary file next to <paramref name="path"/> (creating its folder) and writes the header.</summary>
    public ParquetWriter(string path, IReadOnlyList<ParquetColumn> columns, ParquetWriterOptions? options = null)
    {
        if (columns.Count == 0) throw new ArgumentException("a Parquet file needs at least one column", nameof(columns));
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var c in columns)
        {
            if (string.IsNullOrEmpty(c.Name)) throw new ArgumentException("a column name is empty", nameof(columns));
            if (!seen.Add(c.Name)) throw new ArgumentException($"column '{c.Name}' appears twice", nameof(columns));
        }
        Options = options ?? new ParquetWriterOptions();
        if (Options.PageSizeBytes <= 0 || Options.RowGroupRows <= 0)
            throw new ArgumentException("PageSizeBytes and RowGroupRows must be positive", nameof(options));
        Path = System.IO.Path.GetFullPath(path);
        Columns = columns.ToArray();
        var folder = System.IO.Path.GetDirectoryName(Path)!;
        _temp = System.IO.Path.Combine(folder, $".{System.IO.Path.GetFileName(Path)}.tmp-{Guid.NewGuid():N}");
        try
        {
            Directory.CreateDirectory(folder);
            _stream = new FileStream(_temp, FileMode.CreateNew, FileAccess.Write, FileShare.None, bufferSize: 1 << 16);
            _stream.Write(ParquetFormat.Magic);
            _position = ParquetFormat.Magic.Length;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            Cleanup();
            throw new RunnerException($"{Path}: cannot write: {e.Message}", inner: e);
        }
    }

    /// <summary>The final path of the file.</summary>
    public string Path { get; }

    /// <summary>The schema.</summary>
    public IReadOnlyList<ParquetColumn> Columns { get; }

    /// <summary>The settings.</summary>
    public ParquetWriterOptions Options { get; }

    /// <summary>Rows written so far.</summary>
    public long RowCount { get; private set; }

    /// <summary>Row groups written so far.</summary>
    public int RowGroupCount => _rowGroups.Count;

    /// <summary>
    /// Writes one row group: one array per column, in schema order, all of the same length (see
    /// <see cref="ParquetType"/> for the array types; a nullable array for a required column must
    /// hold no null). An empty row group writes nothing.
    /// </summary>
    public void WriteRowGroup(IReadOnlyList<Array> columns)
    {
        var stream = _stream ?? throw new InvalidOperationException($"{Path}: the writer is already completed or disposed");
        if (columns.Count != Columns.Count)
            throw new ArgumentException($"{Columns.Count} columns expected, got {columns.Count}", nameof(columns));
        var rows = columns[0].Length;
        for (var i = 0; i < columns.Count; i++)
        {
            if (columns[i].Length != rows)
                throw new ArgumentException($"column '{Columns[i].Name}' has {columns[i].Length} rows, column '{Columns[0].Name}' {rows}", nameof(columns));
        }
        if (rows == 0) return;
        var values = Columns.Select((c, i) => ColumnValues.From(c, columns[i])).ToArray();
        var chunks = new ColumnChunk[values.Length];
        try
        {
            for (var i = 0; i < values.Length; i++) chunks[i] = ColumnChunkWriter.Write(stream, ref _position, Columns[i], values[i], Options);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            Dispose();
            throw new RunnerException($"{Path}: cannot write: {e.Message}", inner: e);
        }
        _rowGroups.Add((rows, chunks));
        RowCount += rows;
    }

    /// <summary>Writes rows as row groups of at most <see cref="ParquetWriterOptions.RowGroupRows"/> rows each.</summary>
    public void Write(IReadOnlyList<Array> columns)
    {
        var rows = columns.Count == 0 ? 0 : columns[0].Length;
        if (rows <= Options.RowGroupRows)
        {
            WriteRowGroup(columns);
            return;
        }
        for (var start = 0; start < rows; start += Options.RowGroupRows)
        {
            var n = Math.Min(Options.RowGroupRows, rows - start);
            WriteRowGroup(columns.Select(c => Slice(c, start, n)).ToArray());
        }
    }

    /// <summary>Writes the footer and renames the file into place (replacing an existing file); returns the path.</summary>
    public string Complete()
    {
        var stream = _stream ?? throw new InvalidOperationException($"{Path}: the writer is already completed or disposed");
        try
        {
            var footer = FooterWriter.Serialize(Columns, _rowGroups, Options.Metadata, CreatedBy);
            stream.Write(footer);
            Span<byte> length = stackalloc byte[4];
            System.Buffers.Binary.BinaryPrimitives.WriteInt32LittleEndian(length, footer.Length);
            stream.Write(length);
            stream.Write(ParquetFormat.Magic);
            stream.Flush(flushToDisk: true);
            stream.Dispose();
            _stream = null;
            File.Move(_temp, Path, overwrite: true);
            _completed = true;
            return Path;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            Dispose();
            throw new RunnerException($"{Path}: cannot write: {e.Message}", inner: e);
        }
    }

    /// <summary>Closes the file; without <see cref="Complete"/> the temporary file is deleted.</summary>
    public void Dispose()
    {
        _stream?.Dispose();
        _stream = null;
        if (!_completed) Cleanup();
    }

    private static string CreatedBy { get; } =
        $"runner version {typeof(ParquetWriter).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion.Split('+')[0] ?? "0"}";

    private void Cleanup()
    {
        try { File.Delete(_temp); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { }
    }

    private static Array Slice(Array source, int start, int length)
    {
        var slice = Array.CreateInstance(source.GetType().GetElementType()!, length);
        Array.Copy(source, start, slice, 0, length);
        return slice;
    }
}

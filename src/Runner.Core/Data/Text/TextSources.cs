using System.Text;
using System.Text.Json;

namespace Runner.Core.Data.Text;

/// <summary>Text documents from plain-text and JSON-lines files named by glob patterns.</summary>
public static class TextSources
{
    // Strict UTF-8: a binary file matched by mistake is an error naming it, not a document of U+FFFD.
    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);
    private static readonly byte[] Utf8Bom = [0xEF, 0xBB, 0xBF];

    /// <summary>
    /// The files the patterns match (see <c>Glob</c>: <c>*</c>, <c>?</c>, <c>**</c>, <c>[abc]</c>,
    /// <c>[!abc]</c>), absolute, sorted ordinally, each once. A pattern that matches no file is a
    /// <see cref="RunnerException"/> naming it.
    /// </summary>
    public static IReadOnlyList<string> ExpandGlobs(IReadOnlyList<string> patterns)
    {
        ArgumentNullException.ThrowIfNull(patterns);
        var files = new SortedSet<string>(StringComparer.Ordinal);
        foreach (var pattern in patterns)
        {
            if (string.IsNullOrWhiteSpace(pattern)) throw new RunnerException("data: an empty file pattern", 2);
            List<string> matched;
            try
            {
                matched = Glob.Match(pattern);
            }
            catch (ArgumentException e)
            {
                throw new RunnerException($"data: the file pattern '{pattern}' is not a valid glob ({e.Message})", 2, e);
            }
            if (matched.Count == 0) throw new RunnerException($"data: the file pattern '{pattern}' matches no file", 2);
            files.UnionWith(matched);
        }
        return [.. files];
    }

    /// <summary>
    /// The documents, lazily: every plain-text file of <see cref="TextSourceOptions.Files"/> whole, then every
    /// non-blank line of the <see cref="TextSourceOptions.Jsonl"/> files (its <see cref="TextSourceOptions.TextField"/>),
    /// in file order, then line order. Files are UTF-8 (a BOM is skipped). The globs are expanded (and
    /// their errors raised) on the call; a malformed line throws "FILE:LINE: ..." when reached.
    /// </summary>
    public static IEnumerable<string> Documents(TextSourceOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (options.Files.Count == 0 && options.Jsonl.Count == 0)
            throw new RunnerException("data: no text files given (set data.files or data.jsonl)", 2);
        if (string.IsNullOrEmpty(options.TextField))
            throw new RunnerException("data.text_field: must name a JSON field, got an empty string", 2);
        var texts = options.Files.Count == 0 ? [] : ExpandGlobs(options.Files);
        var jsonl = options.Jsonl.Count == 0 ? [] : ExpandGlobs(options.Jsonl);
        return Enumerate(texts, jsonl, options.TextField);
    }

    private static IEnumerable<string> Enumerate(IReadOnlyList<string> texts, IReadOnlyList<string> jsonl, string field)
    {
        foreach (var file in texts) yield return ReadText(file);
        foreach (var file in jsonl)
            foreach (var document in ReadJsonLines(file, field))
                yield return document;
    }

    private static string ReadText(string file)
    {
        try
        {
            return File.ReadAllText(file, StrictUtf8);
        }
        catch (DecoderFallbackException e)
        {
            throw new RunnerException($"{file}: not UTF-8 text ({e.Message})", 1, e);
        }
        catch (IOException e)
        {
            throw new RunnerException($"{file}: cannot read ({e.Message})", 1, e);
        }
        catch (UnauthorizedAccessException e)
        {
            throw new RunnerException($"{file}: cannot read ({e.Message})", 1, e);
        }
    }

    private static IEnumerable<string> ReadJsonLines(string file, string field)
    {
        FileStream stream;
        try
        {
            stream = new FileStream(file, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, FileOptions.SequentialScan);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new RunnerException($"{file}: cannot read ({e.Message})", 1, e);
        }
        using (stream)
        {
            // Lines are split on '\n' bytes and decoded one by one, so an invalid byte is reported on its own line.
            var lineNumber = 0;
            foreach (var bytes in ByteLines(stream))
            {
                lineNumber++;
                var span = bytes.AsSpan();
                if (lineNumber == 1 && span.StartsWith(Utf8Bom)) span = span[Utf8Bom.Length..];
                if (span.EndsWith((byte)'\r')) span = span[..^1];
                string line;
                try
                {
                    line = StrictUtf8.GetString(span);
                }
                catch (DecoderFallbackException e)
                {
                    throw new RunnerException($"{file}:{lineNumber}: not UTF-8 text ({e.Message})", 1, e);
                }
                if (string.IsNullOrWhiteSpace(line)) continue;
                yield return ParseLine(file, lineNumber, line, field);
            }
        }
    }

    /// <summary>The stream's lines as bytes, without their '\n' (the last line also when it has none).</summary>
    private static IEnumerable<byte[]> ByteLines(Stream stream)
    {
        var buffer = new byte[1 << 16];
        var pending = new MemoryStream();
        int read;
        while ((read = stream.Read(buffer, 0, buffer.Length)) > 0)
        {
            var start = 0;
            for (int newline; start < read && (newline = Array.IndexOf(buffer, (byte)'\n', start, read - start)) >= 0; start = newline + 1)
            {
                pending.Write(buffer, start, newline - start);
                yield return pending.ToArray();
                pending.SetLength(0);
            }
            pending.Write(buffer, start, read - start);
        }
        if (pending.Length > 0) yield return pending.ToArray();
    }

    private static string ParseLine(string file, int lineNumber, string line, string field)
    {
        JsonDocument json;
        try
        {
            json = JsonDocument.Parse(line);
        }
        catch (JsonException e)
        {
            throw new RunnerException($"{file}:{lineNumber}: not valid JSON ({e.Message}); expected an object with a string field '{field}'", 1, e);
        }
        using (json)
        {
            var root = json.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
                throw new RunnerException($"{file}:{lineNumber}: expected a JSON object with a string field '{field}', got {Kind(root.ValueKind)}");
            if (!root.TryGetProperty(field, out var value))
            {
                var names = root.EnumerateObject().Select(p => p.Name).Take(10).ToList();
                throw new RunnerException($"{file}:{lineNumber}: the object has no field '{field}' (it has: {(names.Count == 0 ? "no fields" : string.Join(", ", names))})");
            }
            if (value.ValueKind != JsonValueKind.String)
                throw new RunnerException($"{file}:{lineNumber}: the field '{field}' is {Kind(value.ValueKind)}, expected a string");
            return value.GetString()!;
        }
    }

    private static string Kind(JsonValueKind kind) => kind switch
    {
        JsonValueKind.Object => "an object",
        JsonValueKind.Array => "an array",
        JsonValueKind.String => "a string",
        JsonValueKind.Number => "a number",
        JsonValueKind.True or JsonValueKind.False => "a boolean",
        JsonValueKind.Null => "null",
        _ => kind.ToString(),
    };
}

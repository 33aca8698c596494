using System.Text;

namespace Runner.Core.Tokenizers;

/// <summary>
/// GPT-2's reversible byte-to-unicode map: every byte becomes one printable character, so BPE works on
/// strings without spaces or control characters (byte 0x20 becomes 'Ġ', 0x0A becomes 'Ċ'). Printable
/// Latin-1 bytes map to themselves; the other 68 bytes map to U+0100.. in byte order.
/// </summary>
internal static class ByteLevel
{
    /// <summary>The character each byte maps to.</summary>
    public static readonly char[] ByteToChar = BuildByteToChar();

    /// <summary>The byte each mapped character stands for, or -1 (indexed by char, U+0000..U+0143).</summary>
    static readonly short[] CharToByte = BuildCharToByte();

    static char[] BuildByteToChar()
    {
        var map = new char[256];
        int next = 0;
        for (int b = 0; b < 256; b++)
        {
            bool printable = b is >= '!' and <= '~' or >= 0xA1 and <= 0xAC or >= 0xAE and <= 0xFF;
            map[b] = printable ? (char)b : (char)(256 + next++);
        }
        return map;
    }

    static short[] BuildCharToByte()
    {
        var map = new short[256 + 68];
        Array.Fill(map, (short)-1);
        for (int b = 0; b < 256; b++) map[ByteToChar[b]] = (short)b;
        return map;
    }

    /// <summary>The UTF-8 bytes of <paramref name="text"/>, each mapped to its character (a lone
    /// surrogate encodes as U+FFFD, as a Rust string would hold it).</summary>
    public static string Encode(ReadOnlySpan<char> text)
    {
        int count = Encoding.UTF8.GetByteCount(text);
        Span<byte> bytes = count <= 256 ? stackalloc byte[count] : new byte[count];
        Encoding.UTF8.GetBytes(text, bytes);
        Span<char> chars = count <= 256 ? stackalloc char[count] : new char[count];
        for (int i = 0; i < count; i++) chars[i] = ByteToChar[bytes[i]];
        return new string(chars);
    }

    /// <summary>Appends the bytes <paramref name="piece"/> stands for. As the Rust decoder does, a piece
    /// with any character outside the map (an added token such as "&lt;|im_start|&gt;" is inside it, but
    /// one with a space is not) contributes its own UTF-8 bytes instead.</summary>
    public static void AppendBytes(string piece, List<byte> output)
    {
        foreach (char ch in piece)
        {
            if (ch >= CharToByte.Length || CharToByte[ch] < 0)
            {
                output.AddRange(Encoding.UTF8.GetBytes(piece));
                return;
            }
        }
        foreach (char ch in piece) output.Add((byte)CharToByte[ch]);
    }
}

namespace Runner.Core.Tokenizers;

/// <summary>
/// A text tokenizer loaded from a Hugging Face model folder (see <see cref="TokenizerLoader"/>). Ids match
/// what Hugging Face's tokenizers library produces for the same folder. Implementations are thread-safe.
/// </summary>
public interface ITokenizer
{
    /// <summary>The largest token id + 1, added tokens included.</summary>
    int VocabSize { get; }

    /// <summary>The beginning-of-sequence token id, or null when the tokenizer has none (Qwen). GPT-2 uses
    /// &lt;|endoftext|&gt; for both BOS and EOS.</summary>
    int? BosId { get; }

    /// <summary>The end-of-sequence token id, or null when the tokenizer has none.</summary>
    int? EosId { get; }

    /// <summary>Whether Hugging Face's tokenizer prepends a BOS by default (Llama 3: true; GPT-2, Qwen: false).
    /// <see cref="Encode"/> never adds it: callers that want HF's default prepend <see cref="BosId"/> themselves.</summary>
    bool AddsBosByDefault { get; }

    /// <summary>The token ids of <paramref name="text"/>, without BOS or EOS. The text of an added token
    /// (e.g. "&lt;|endoftext|&gt;") inside <paramref name="text"/> becomes that token's id.</summary>
    int[] Encode(string text);

    /// <summary>The text of <paramref name="ids"/>; bytes that do not form valid UTF-8 become U+FFFD, as in
    /// Hugging Face. Ids outside the vocabulary contribute nothing (also as in Hugging Face).</summary>
    /// <param name="ids">Token ids.</param>
    /// <param name="skipSpecial">Leave out added tokens marked special.</param>
    string Decode(ReadOnlySpan<int> ids, bool skipSpecial = false);

    /// <summary>The vocabulary string of one token (e.g. "Ġthe"); an added token's content.</summary>
    /// <exception cref="RunnerException">No token has id <paramref name="id"/>.</exception>
    string Piece(int id);

    /// <summary>Whether <paramref name="id"/> is an added token marked special.</summary>
    bool IsSpecial(int id);
}

using System.Text;
using System.Text.Json.Nodes;
using Runner.Core.Models;
using Runner.Torch;

namespace Runner.Cli.Tests;

/// <summary>
/// A tiny random GPT-2 checkpoint in the Hugging Face layout (config.json, model.safetensors, vocab.json,
/// merges.txt, tokenizer_config.json): a byte-level vocabulary of the 256 byte symbols plus &lt;|endoftext|&gt;
/// and a few merges, so the real loaders, tokenizer and stages run end to end in well under a second.
/// </summary>
internal static class TinyHfCheckpoint
{
    public const int Vocab = 262;

    public static string Write(string directory, ulong seed = 1, int layers = 2)
    {
        Directory.CreateDirectory(directory);
        File.WriteAllText(Path.Combine(directory, "config.json"), $$"""
            {"model_type": "gpt2", "architectures": ["GPT2LMHeadModel"], "vocab_size": {{Vocab}}, "n_embd": 32, "n_layer": {{layers}},
             "n_head": 4, "n_positions": 64, "n_inner": null, "activation_function": "gelu_new", "layer_norm_epsilon": 1e-5,
             "bos_token_id": 256, "eos_token_id": 256}
            """);
        var vocab = new JsonObject();
        var symbols = ByteSymbols();
        for (var b = 0; b < 256; b++) vocab[symbols[b]] = b;
        vocab["<|endoftext|>"] = 256;
        string[] merges = ["Ġ t", "h e", "Ġt he", "i n", "Ġ a"];
        for (var i = 0; i < merges.Length; i++) vocab[merges[i].Replace(" ", "")] = 257 + i;
        File.WriteAllText(Path.Combine(directory, "vocab.json"), vocab.ToJsonString());
        File.WriteAllText(Path.Combine(directory, "merges.txt"), "#version: 0.2\n" + string.Join("\n", merges) + "\n");
        File.WriteAllText(Path.Combine(directory, "tokenizer_config.json"),
            """{"bos_token": "<|endoftext|>", "eos_token": "<|endoftext|>", "unk_token": "<|endoftext|>", "add_prefix_space": false}""");
        using var model = TransformerModel.CreateRandom(ModelConfig.FromJson(Path.Combine(directory, "config.json")), seed, Device.Cpu, DType.Float32);
        model.Save(directory);
        return directory;
    }

    /// <summary>Plain-text documents for data.files.</summary>
    public static void WriteDocuments(string directory, int count)
    {
        Directory.CreateDirectory(directory);
        var words = new[] { "the", "bridge", "in", "a", "fog", "then", "ocean", "there", "is", "tea" };
        var random = new Random(7);
        for (var d = 0; d < count; d++)
        {
            var text = new StringBuilder();
            for (var w = 0; w < 60; w++) text.Append(words[random.Next(words.Length)]).Append(w % 9 == 8 ? ". " : " ");
            File.WriteAllText(Path.Combine(directory, $"doc{d:D3}.txt"), text.ToString());
        }
    }

    // GPT-2's byte-to-unicode table: printable bytes map to themselves, the rest to U+0100 onwards.
    private static string[] ByteSymbols()
    {
        var result = new string[256];
        var next = 256;
        for (var b = 0; b < 256; b++)
        {
            var printable = (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
            result[b] = ((char)(printable ? b : next++)).ToString();
        }
        return result;
    }
}

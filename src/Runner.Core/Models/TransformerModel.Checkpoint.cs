using Runner.Core.IO;
using Runner.Torch;

namespace Runner.Core.Models;

// Loading, saving and random initialization, with each family's Hugging Face tensor names and shapes.
public sealed partial class TransformerModel
{
    /// <summary>The config file name in a checkpoint folder.</summary>
    public const string ConfigFileName = "config.json";

    /// <summary>
    /// Loads config.json and model.safetensors (or model.safetensors.index.json and its shards) from
    /// <paramref name="directory"/>, converting f32/f16/bf16 tensors to <paramref name="dtype"/> (Float32
    /// or BFloat16). A missing tensor, a wrong shape, or a tensor the family does not have (other than
    /// known buffers such as attn.bias or rotary_emb.inv_freq) is a <see cref="RunnerException"/>.
    /// GPT-2 names may carry the <c>transformer.</c> prefix.
    /// </summary>
    public static TransformerModel Load(string directory, Device device, DType dtype)
    {
        CheckDType(dtype);
        var dir = Path.GetFullPath(directory);
        var config = ModelConfig.FromJson(Path.Combine(dir, ConfigFileName));
        using var source = SafetensorsCheckpoint.Open(dir);
        var specs = Architecture.SpecsOf(config);
        var prefix = config.Family == ModelFamily.Gpt2 && source.Contains(Gpt2.Prefix + "wte.weight") ? Gpt2.Prefix : "";
        string Stored(string name) => prefix.Length > 0 && name != "lm_head.weight" ? prefix + name : name;
        string FileOf(string name) => source is ShardedSafetensors sharded ? sharded.Shard(name).Path : source.Path;

        var expected = specs.Select(s => Stored(s.Name)).ToHashSet(StringComparer.Ordinal);
        var tiedCopy = Architecture.UntiedUnembeddingName(config);
        var unexpected = source.Names.Where(n => !expected.Contains(n) && !Architecture.IsBufferOf(config, n)
            && !(config.TieWordEmbeddings && n == tiedCopy && source.Info(n).Shape.SequenceEqual([config.VocabSize, config.DModel]))).ToList();
        if (unexpected.Count > 0)
            throw new RunnerException($"{source.Path}: {unexpected.Count} tensor(s) a {config.ModelType} model does not have: "
                + string.Join(", ", unexpected.Take(5)) + (unexpected.Count > 5 ? ", ..." : "") + " (is config.json's model_type right?)");

        var parameters = new List<KeyValuePair<string, Tensor>>();
        try
        {
            foreach (var spec in specs)
            {
                var name = Stored(spec.Name);
                if (!source.Contains(name))
                    throw new RunnerException($"{source.Path}: missing tensor {name} (a {config.ModelType} model needs it with shape [{string.Join(", ", spec.Shape)}])");
                var info = source.Info(name);
                if (!info.Shape.SequenceEqual(spec.Shape))
                    throw new RunnerException($"{FileOf(name)}: tensor {name} has shape [{string.Join(", ", info.Shape)}]; expected [{string.Join(", ", spec.Shape)}] for this config");
                using var scope = TensorScope.Enter();
                var t = source.Read(name, spec.IsNorm ? DType.Float32 : dtype).To(device);
                parameters.Add(new(spec.Name, scope.Keep(t).DetachFromScope()));
            }
        }
        catch
        {
            foreach (var (_, t) in parameters) t.Dispose();
            throw;
        }
        return new TransformerModel(config, device, dtype, parameters);
    }

    /// <summary>
    /// A model with random weights, initialized as the family's _init_weights does: normal(0,
    /// initializer_range) weights and embeddings (GPT-2's c_proj scaled by 1/sqrt(2·n_layer)), zero
    /// biases, ones for norm weights. The same seed gives the same weights on every device.
    /// </summary>
    public static TransformerModel CreateRandom(ModelConfig config, ulong seed, Device device, DType dtype)
    {
        CheckDType(dtype);
        config.Validate();
        using var generator = new Generator(seed);
        var parameters = new List<KeyValuePair<string, Tensor>>();
        foreach (var spec in Architecture.SpecsOf(config))
        {
            using var scope = TensorScope.Enter();
            var t = spec.Ones ? Tensors.Ones(spec.Shape)
                : spec.Std == 0 ? Tensors.Zeros(spec.Shape)
                : Tensors.Randn(spec.Shape, generator) * spec.Std;
            t = t.To(device, spec.IsNorm ? DType.Float32 : dtype);
            parameters.Add(new(spec.Name, scope.Keep(t).DetachFromScope()));
        }
        return new TransformerModel(config, device, dtype, parameters);
    }

    /// <summary>
    /// Writes config.json and model.safetensors (the family's Hugging Face names and shapes, every
    /// tensor in the model's dtype, GPT-2 without the <c>transformer.</c> prefix, a tied unembedding
    /// not repeated) into <paramref name="directory"/>; each file goes to a temporary name first, then
    /// is renamed. A model.safetensors.index.json left there is removed (it would shadow the new file).
    /// </summary>
    public void Save(string directory)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        var dir = Path.GetFullPath(directory);
        Directory.CreateDirectory(dir);
        using (var scope = TensorScope.Enter())
        {
            var tensors = _parameters.ToDictionary(p => p.Key, p => p.Value.DType == DType ? p.Value : p.Value.To(DType), StringComparer.Ordinal);
            SafetensorsWriter.Write(Path.Combine(dir, SafetensorsCheckpoint.SingleFileName), tensors, new Dictionary<string, string> { ["format"] = "pt" });
        }
        var staleIndex = Path.Combine(dir, ShardedSafetensors.IndexFileName);
        if (File.Exists(staleIndex)) File.Delete(staleIndex);
        Config.Save(Path.Combine(dir, ConfigFileName), DType);
    }

    private static void CheckDType(DType dtype)
    {
        if (dtype is not (DType.Float32 or DType.BFloat16))
            throw new ArgumentException($"a model runs in float32 or bfloat16, not {dtype.Name()}", nameof(dtype));
    }
}

using Runner.Core.Sae;
using Runner.Torch;

namespace Runner.Core.IO;

/// <summary>
/// A SAELens v6 SAE folder (sae-reference.md §3): <c>cfg.json</c>, <c>sae_weights.safetensors</c> (exact
/// state_dict names and shapes, row-major) and optionally <c>sparsity.safetensors</c> ("sparsity" [d_sae]
/// = log10(feature density + 1e-10)). <c>SAE.load_from_disk(folder)</c> in SAELens loads what
/// <see cref="Write(string, SaeLensConfig, IReadOnlyDictionary{string, Tensor}, Tensor?)"/> writes;
/// <see cref="Load"/> reads such folders back, and legacy pre-v6 ones too.
/// </summary>
public static class SaeLensFolder
{
    /// <summary>The config file.</summary>
    public const string ConfigFile = "cfg.json";

    /// <summary>The weights file.</summary>
    public const string WeightsFile = "sae_weights.safetensors";

    /// <summary>The optional feature sparsity file.</summary>
    public const string SparsityFile = "sparsity.safetensors";

    /// <summary>The tensor name inside <see cref="SparsityFile"/>.</summary>
    public const string SparsityTensor = "sparsity";

    /// <summary>Added to densities before log10, as SAELens does (so dead latents read -10).</summary>
    public const double DensityEpsilon = 1e-10;

    /// <summary>The tensors <paramref name="config"/>'s architecture stores, in state_dict order (§3.2).</summary>
    public static IReadOnlyList<SaeLensTensor> ExpectedTensors(SaeLensConfig config)
    {
        SaeLensTensor T(string name, string dims, params long[] shape) => new() { Name = name, Shape = shape, Dimensions = dims };
        long dIn = config.DIn, dSae = config.DSae;
        return config.Architecture switch
        {
            "standard" or "topk" => [T("W_enc", "d_in, d_sae", dIn, dSae), T("b_enc", "d_sae", dSae), T("W_dec", "d_sae, d_in", dSae, dIn), T("b_dec", "d_in", dIn)],
            "jumprelu" => [T("W_enc", "d_in, d_sae", dIn, dSae), T("b_enc", "d_sae", dSae), T("W_dec", "d_sae, d_in", dSae, dIn), T("b_dec", "d_in", dIn), T("threshold", "d_sae", dSae)],
            "gated" => [T("W_enc", "d_in, d_sae", dIn, dSae), T("b_gate", "d_sae", dSae), T("r_mag", "d_sae", dSae), T("b_mag", "d_sae", dSae), T("W_dec", "d_sae, d_in", dSae, dIn), T("b_dec", "d_in", dIn)],
            var other => throw new RunnerException($"architecture '{other}' is not supported (supported: {string.Join(", ", SaeLensConfig.KnownArchitectures)})"),
        };
    }

    /// <summary>
    /// Exports <paramref name="sae"/> (its <see cref="ISparseAutoencoder.ExportSaeLens"/> tensors, normalization
    /// folded in) with <paramref name="metadata"/>, and the per-latent firing frequency when given.
    /// </summary>
    public static void Write(string folder, ISparseAutoencoder sae, SaeLensMetadata metadata, Tensor? featureDensity = null)
    {
        using var scope = TensorScope.Enter();
        Write(folder, SaeLensConfig.For(sae, metadata), sae.ExportSaeLens(), featureDensity);
    }

    /// <summary>
    /// Writes the folder (created if needed): the weights converted to <c>config.DType</c>, the sparsity
    /// file from <paramref name="featureDensity"/> ([d_sae], the fraction of tokens each latent fired on;
    /// a stale sparsity file is removed when null), and cfg.json last. Each file is written atomically.
    /// Names and shapes must match <see cref="ExpectedTensors"/> exactly.
    /// </summary>
    public static void Write(string folder, SaeLensConfig config, IReadOnlyDictionary<string, Tensor> weights, Tensor? featureDensity = null)
    {
        if (!Pep440.IsAtLeast6(config.Metadata.SaeLensVersion))
            throw new ArgumentException($"metadata.sae_lens_version must be >= 6.0.0 (SAELens reads older versions as legacy), got {config.Metadata.SaeLensVersion}", nameof(config));
        var check = Mismatch(config, weights.Select(p => (p.Key, p.Value.DType, p.Value.Shape)));
        if (check is not null) throw new ArgumentException(check, nameof(weights));
        if (featureDensity is not null && !featureDensity.Shape.SequenceEqual([config.DSae]))
            throw new ArgumentException($"featureDensity must be [d_sae] = [{config.DSae}], got [{string.Join(", ", featureDensity.Shape)}]", nameof(featureDensity));
        // Validates the rest of the config (enumerated strings) by the reader's rules.
        SaeLensConfigJson.FromJson(SaeLensConfigJson.ToJson(config), ConfigFile);

        var full = Path.GetFullPath(folder);
        Directory.CreateDirectory(full);
        var dtype = DTypes.Parse(config.DType);
        using (var scope = TensorScope.Enter())
        {
            SafetensorsWriter.Write(Path.Combine(full, WeightsFile), weights.ToDictionary(p => p.Key, p => p.Value.Detach().To(Device.Cpu, dtype), StringComparer.Ordinal));
            var sparsity = Path.Combine(full, SparsityFile);
            if (featureDensity is not null)
            {
                var log = (featureDensity.Detach().To(Device.Cpu, DType.Float32) + DensityEpsilon).Log() * (1 / Math.Log(10));
                SafetensorsWriter.Write(sparsity, new Dictionary<string, Tensor> { [SparsityTensor] = log });
            }
            else if (File.Exists(sparsity))
            {
                File.Delete(sparsity);
            }
        }
        var cfg = Path.Combine(full, ConfigFile);
        var temp = Path.Combine(full, $".{ConfigFile}.tmp-{Guid.NewGuid():N}");
        File.WriteAllText(temp, SaeLensConfigJson.Serialize(config));
        File.Move(temp, cfg, overwrite: true);
    }

    /// <summary>Reads cfg.json of <paramref name="folder"/> (v6 or legacy).</summary>
    public static SaeLensConfig ReadConfig(string folder)
    {
        var full = Path.GetFullPath(folder);
        if (!Directory.Exists(full)) throw new RunnerException($"{full}: no such SAE folder");
        var path = Path.Combine(full, ConfigFile);
        if (!File.Exists(path)) throw new RunnerException($"{full}: not a SAELens SAE folder ({ConfigFile} is missing)");
        string text;
        try
        {
            text = File.ReadAllText(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new RunnerException($"{path}: cannot read: {e.Message}", inner: e);
        }
        return SaeLensConfigJson.Parse(text, path);
    }

    /// <summary>
    /// Checks the folder without reading tensor data: cfg.json, and every tensor's name, dtype and
    /// shape in the safetensors headers against it. Returns the config.
    /// </summary>
    public static SaeLensConfig Inspect(string folder)
    {
        var config = ReadConfig(folder);
        var full = Path.GetFullPath(folder);
        using (var weights = OpenWeights(full, config)) { }
        using (OpenSparsity(full, config)) { }
        return config;
    }

    /// <summary>
    /// Reads the SAE in <paramref name="folder"/>: cfg.json, the weights (converted to
    /// <paramref name="dtype"/>) and the sparsity file when present, validating names and shapes
    /// against the config. A legacy all-ones <c>scaling_factor</c> tensor is dropped, as SAELens does.
    /// </summary>
    public static SaeLensSae Load(string folder, DType dtype = DType.Float32)
    {
        var config = ReadConfig(folder);
        var full = Path.GetFullPath(folder);
        var weights = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        Tensor? sparsity = null;
        try
        {
            using var scope = TensorScope.Enter();
            using (var file = OpenWeights(full, config))
            {
                foreach (var t in ExpectedTensors(config)) weights[t.Name] = file.Read(t.Name, dtype).DetachFromScope();
                if (file.Contains("scaling_factor"))
                {
                    var factor = file.Read("scaling_factor", DType.Float32);
                    if (!factor.AllClose(factor.OnesLike()))
                        throw new RunnerException($"{file.Path}: has a scaling_factor that is not all ones (a SAELens fine-tuning scale), which Runner cannot load");
                }
            }
            using (var file = OpenSparsity(full, config))
                sparsity = file?.Read(SparsityTensor, DType.Float32).DetachFromScope();
            return new SaeLensSae(full, config, weights, sparsity);
        }
        catch
        {
            foreach (var t in weights.Values) t.Dispose();
            sparsity?.Dispose();
            throw;
        }
    }

    private static SafetensorsFile OpenWeights(string folder, SaeLensConfig config)
    {
        var path = Path.Combine(folder, WeightsFile);
        if (!File.Exists(path)) throw new RunnerException($"{folder}: {WeightsFile} is missing");
        IReadOnlyList<SaeLensTensor> expected;
        try
        {
            expected = ExpectedTensors(config);
        }
        catch (RunnerException e)
        {
            throw new RunnerException($"{Path.Combine(folder, ConfigFile)}: {e.Message}", inner: e);
        }
        var file = SafetensorsFile.Open(path);
        var tensors = file.Tensors.Where(t => t.Name != "scaling_factor").Select(t => (t.Name, t.DType, t.ShapeArray));
        if (Mismatch(config, tensors) is { } problem)
        {
            file.Dispose();
            throw new RunnerException($"{path}: {problem}");
        }
        return file;
    }

    private static SafetensorsFile? OpenSparsity(string folder, SaeLensConfig config)
    {
        var path = Path.Combine(folder, SparsityFile);
        if (!File.Exists(path)) return null;
        var file = SafetensorsFile.Open(path);
        string? problem = null;
        if (!file.Contains(SparsityTensor)) problem = $"no tensor '{SparsityTensor}' (it has {string.Join(", ", file.Names)})";
        else if (file.Info(SparsityTensor) is var info && (!info.DType.IsFloatingPoint() || !info.Shape.SequenceEqual([config.DSae])))
            problem = $"tensor '{SparsityTensor}' is {info.Describe()}, expected a float [d_sae] = [{config.DSae}]";
        if (problem is null) return file;
        file.Dispose();
        throw new RunnerException($"{path}: {problem}");
    }

    // The first difference between the tensors present and those the config implies, or null.
    private static string? Mismatch(SaeLensConfig config, IEnumerable<(string Name, DType DType, long[] Shape)> tensors)
    {
        var expected = ExpectedTensors(config);
        var names = string.Join(", ", expected.Select(e => e.Name));
        var present = tensors.ToDictionary(t => t.Name, StringComparer.Ordinal);
        foreach (var e in expected)
        {
            if (!present.TryGetValue(e.Name, out var t))
                return $"missing tensor '{e.Name}' (a {config.Architecture} SAE has {names})";
            if (!t.DType.IsFloatingPoint() || !t.Shape.SequenceEqual(e.Shape))
                return $"tensor '{e.Name}' is {t.DType.Name()} [{string.Join(", ", t.Shape)}], expected a float {e.Describe()}";
        }
        foreach (var name in present.Keys.Order(StringComparer.Ordinal))
        {
            if (!expected.Any(e => e.Name == name))
                return $"unexpected tensor '{name}' (a {config.Architecture} SAE has {names})";
        }
        return null;
    }
}

using System.Text.Json.Nodes;
using Runner.Core.IO;
using Runner.Core.Tests.TestKit;
using Runner.Torch;

namespace Runner.Core.Tests.IO;

public sealed class SaeLensFolderTests : IDisposable
{
    private readonly TempFolder _dir = new();

    public void Dispose() => _dir.Dispose();

    private static SaeLensMetadata Metadata => new()
    {
        ModelName = "toy-planted-topics",
        ModelClassName = "HookedTransformer",
        HookName = "blocks.0.hook_mlp_out",
        ContextSize = 64,
        PrependBos = true,
        DatasetPath = "planted-topics",
    };

    private static SaeLensConfig TopK => new() { DIn = 16, DSae = 64, Architecture = "topk", K = 4, Metadata = Metadata };

    private static SaeLensConfig JumpRelu => new()
    {
        DIn = 16,
        DSae = 64,
        Architecture = "jumprelu",
        Metadata = Metadata with
        {
            ModelFromPretrainedKwargs = new Dictionary<string, JsonNode?> { ["center_writing_weights"] = false },
            Extra = new Dictionary<string, JsonNode?> { ["runner_run"] = "golden-gate-mini/k=32" },
        },
    };

    /// <summary>Seeded float32 tensors with the architecture's exact names and shapes.</summary>
    private static Dictionary<string, Tensor> Weights(SaeLensConfig config, ulong seed = 1)
    {
        using var g = new Generator(seed);
        return SaeLensFolder.ExpectedTensors(config).ToDictionary(t => t.Name, t => Tensors.Randn([.. t.Shape], g));
    }

    [Fact]
    public void Topk_cfg_json_matches_the_golden_text()
    {
        Assert.Equal("""
            {
              "d_in": 16,
              "d_sae": 64,
              "dtype": "float32",
              "device": "cpu",
              "apply_b_dec_to_input": true,
              "normalize_activations": "none",
              "reshape_activations": "none",
              "metadata": {
                "sae_lens_version": "6.0.0",
                "sae_lens_training_version": "6.0.0",
                "model_name": "toy-planted-topics",
                "model_class_name": "HookedTransformer",
                "hook_name": "blocks.0.hook_mlp_out",
                "hook_head_index": null,
                "context_size": 64,
                "prepend_bos": true,
                "dataset_path": "planted-topics",
                "seqpos_slice": [
                  null
                ],
                "model_from_pretrained_kwargs": {},
                "exclude_special_tokens": false,
                "neuronpedia_id": null
              },
              "k": 4,
              "rescale_acts_by_decoder_norm": false,
              "architecture": "topk"
            }

            """, SaeLensConfigJson.Serialize(TopK));
    }

    [Fact]
    public void Jumprelu_cfg_json_matches_the_golden_text()
    {
        Assert.Equal("""
            {
              "d_in": 16,
              "d_sae": 64,
              "dtype": "float32",
              "device": "cpu",
              "apply_b_dec_to_input": true,
              "normalize_activations": "none",
              "reshape_activations": "none",
              "metadata": {
                "sae_lens_version": "6.0.0",
                "sae_lens_training_version": "6.0.0",
                "model_name": "toy-planted-topics",
                "model_class_name": "HookedTransformer",
                "hook_name": "blocks.0.hook_mlp_out",
                "hook_head_index": null,
                "context_size": 64,
                "prepend_bos": true,
                "dataset_path": "planted-topics",
                "seqpos_slice": [
                  null
                ],
                "model_from_pretrained_kwargs": {
                  "center_writing_weights": false
                },
                "exclude_special_tokens": false,
                "neuronpedia_id": null,
                "runner_run": "golden-gate-mini/k=32"
              },
              "architecture": "jumprelu"
            }

            """, SaeLensConfigJson.Serialize(JumpRelu));
    }

    [Fact]
    public void Write_then_load_round_trips_config_weights_and_sparsity()
    {
        using var scope = TensorScope.Enter();
        var weights = Weights(JumpRelu);
        var density = Tensors.From([0f, 1e-3f, 0.5f, 1f]).Repeat(16);
        SaeLensFolder.Write(_dir.Path, JumpRelu, weights, density);
        Assert.Equal(["cfg.json", "sae_weights.safetensors", "sparsity.safetensors"], Directory.GetFiles(_dir.Path).Select(Path.GetFileName).Order());

        SaeLensSae loaded;
        using (var inner = TensorScope.Enter()) loaded = SaeLensFolder.Load(_dir.Path);
        using var sae = loaded; // its tensors belong to it, not to the scope it was loaded in
        Assert.False(sae.Weights["W_enc"].IsDisposed);
        Assert.Equal(SaeLensConfigJson.Serialize(JumpRelu), SaeLensConfigJson.Serialize(sae.Config));
        Assert.False(sae.Config.ConvertedFromLegacy);
        Assert.Equal(weights.Keys.Order(), sae.Weights.Keys.Order());
        foreach (var (name, t) in weights) Assert.True(t.Equal(sae.Weights[name]), name);
        Assert.Equal([-10f, -3f, (float)Math.Log10(0.5), 0f], sae.FeatureDensityLog10!.ToArray<float>()[..4], new FloatTolerance(1e-5f));
        Assert.Equal(SaeLensConfigJson.Serialize(JumpRelu), SaeLensConfigJson.Serialize(SaeLensFolder.Inspect(_dir.Path)));
    }

    private sealed class FloatTolerance(float tolerance) : IEqualityComparer<float>
    {
        public bool Equals(float x, float y) => Math.Abs(x - y) <= tolerance;
        public int GetHashCode(float obj) => 0;
    }

    [Fact]
    public void An_exported_sparse_autoencoder_loads_back_with_its_tensors()
    {
        using var sae = new TestReluSae(dIn: 8, dSae: 24, seed: 3) { InputScale = 2 };
        SaeLensFolder.Write(_dir.Path, sae, Metadata);
        using var loaded = SaeLensFolder.Load(_dir.Path);
        Assert.Equal("standard", loaded.Config.Architecture);
        Assert.Equal((8, 24), (loaded.Config.DIn, loaded.Config.DSae));
        Assert.Null(loaded.FeatureDensityLog10);
        using var scope = TensorScope.Enter();
        foreach (var (name, t) in sae.ExportSaeLens()) Assert.True(t.Equal(loaded.Weights[name]), name);
    }

    [Fact]
    public void Loading_reports_missing_misshapen_and_unexpected_tensors()
    {
        var weightsPath = Path.Combine(_dir.Path, SaeLensFolder.WeightsFile);
        using var scope = TensorScope.Enter();
        SaeLensFolder.Write(_dir.Path, TopK, Weights(TopK));

        var missing = Weights(TopK);
        missing.Remove("b_dec");
        SafetensorsWriter.Write(weightsPath, missing);
        Assert.Equal($"{weightsPath}: missing tensor 'b_dec' (a topk SAE has W_enc, b_enc, W_dec, b_dec)",
            Assert.Throws<RunnerException>(() => SaeLensFolder.Load(_dir.Path)).Message);

        var transposed = Weights(TopK);
        transposed["W_enc"] = transposed["W_enc"].T;
        SafetensorsWriter.Write(weightsPath, transposed);
        Assert.Equal($"{weightsPath}: tensor 'W_enc' is float32 [64, 16], expected a float [d_in, d_sae] = [16, 64]",
            Assert.Throws<RunnerException>(() => SaeLensFolder.Inspect(_dir.Path)).Message);

        var extra = Weights(TopK);
        extra["threshold"] = Tensors.Zeros([64]);
        SafetensorsWriter.Write(weightsPath, extra);
        Assert.Equal($"{weightsPath}: unexpected tensor 'threshold' (a topk SAE has W_enc, b_enc, W_dec, b_dec)",
            Assert.Throws<RunnerException>(() => SaeLensFolder.Load(_dir.Path)).Message);

        // a legacy all-ones scaling_factor is dropped, as SAELens does; any other is refused
        var scaled = Weights(TopK);
        scaled["scaling_factor"] = Tensors.Ones([64]);
        SafetensorsWriter.Write(weightsPath, scaled);
        using (var ok = SaeLensFolder.Load(_dir.Path)) Assert.DoesNotContain("scaling_factor", ok.Weights.Keys);
        scaled["scaling_factor"] = Tensors.Full([64], 2.0);
        SafetensorsWriter.Write(weightsPath, scaled);
        Assert.Contains("scaling_factor that is not all ones", Assert.Throws<RunnerException>(() => SaeLensFolder.Load(_dir.Path)).Message);

        File.Delete(weightsPath);
        Assert.Equal($"{_dir.Path}: {SaeLensFolder.WeightsFile} is missing", Assert.Throws<RunnerException>(() => SaeLensFolder.Load(_dir.Path)).Message);
        File.Delete(Path.Combine(_dir.Path, "cfg.json"));
        Assert.Equal($"{_dir.Path}: not a SAELens SAE folder (cfg.json is missing)", Assert.Throws<RunnerException>(() => SaeLensFolder.Load(_dir.Path)).Message);
    }

    [Fact]
    public void Write_rejects_weights_that_do_not_match_the_config()
    {
        using var scope = TensorScope.Enter();
        var weights = Weights(TopK);
        weights["b_enc"] = Tensors.Zeros([63]);
        var e = Assert.Throws<ArgumentException>(() => SaeLensFolder.Write(_dir.Path, TopK, weights));
        Assert.StartsWith("tensor 'b_enc' is float32 [63], expected a float [d_sae] = [64]", e.Message);
        Assert.Empty(Directory.GetFiles(_dir.Path));
        Assert.Throws<ArgumentException>(() => SaeLensFolder.Write(_dir.Path, TopK with { Metadata = Metadata with { SaeLensVersion = "5.10.0" } }, Weights(TopK)));
    }

    [Fact]
    public void Legacy_flat_config_is_converted_as_SAELens_does()
    {
        var config = SaeLensConfigJson.Parse("""
            { "architecture": "standard", "d_in": 768, "d_sae": 24576, "dtype": "torch.float32", "device": "cuda",
              "model_name": "gpt2-small", "hook_point": "blocks.8.hook_resid_pre", "hook_point_layer": 8, "hook_point_head_index": null,
              "activation_fn_str": "topk", "activation_fn_kwargs": { "k": 32 }, "finetuning_scaling_factor": false,
              "sae_lens_training_version": "3.13.0", "context_size": 128, "dataset_path": "Skylion007/openwebtext",
              "dataset_trust_remote_code": true, "normalize_activations": true, "neuronpedia_id": "gpt2-small/8-res-jb",
              "model_from_pretrained_kwargs": { "center_writing_weights": false }, "seqpos_slice": [null] }
            """, "cfg.json");
        Assert.True(config.ConvertedFromLegacy);
        Assert.Equal(("topk", 32, 768, 24576), (config.Architecture, config.K, config.DIn, config.DSae));
        Assert.Equal(("float32", "cuda", true), (config.DType, config.Device, config.ApplyBDecToInput));
        Assert.Equal(("expected_average_only_in", "none"), (config.NormalizeActivations, config.ReshapeActivations));
        var m = config.Metadata;
        Assert.Equal(("gpt2-small", "blocks.8.hook_resid_pre", 128, true), (m.ModelName, m.HookName, m.ContextSize, m.PrependBos));
        Assert.Equal(("3.13.0", "gpt2-small/8-res-jb", "Skylion007/openwebtext"), (m.SaeLensTrainingVersion, m.NeuronpediaId, m.DatasetPath));
        Assert.Equal(SaeLensMetadata.FormatVersion, m.SaeLensVersion);
        Assert.False((bool)m.ModelFromPretrainedKwargs["center_writing_weights"]!);
        Assert.Empty(m.Extra); // hook_layer and training-only keys are dropped

        var hookZ = SaeLensConfigJson.Parse("""{ "d_in": 64, "d_sae": 512, "hook_name": "blocks.3.attn.hook_z" }""", "cfg.json");
        Assert.Equal(("standard", "hook_z", "none", true), (hookZ.Architecture, hookZ.ReshapeActivations, hookZ.NormalizeActivations, hookZ.Metadata.PrependBos));
    }

    [Theory]
    [InlineData("6.0.0", false)]
    [InlineData("6.18.0", false)]
    [InlineData("6.0.0rc1", false)]
    [InlineData("6.0.0-rc.0", false)]
    [InlineData("7.1", false)]
    [InlineData("5.10.3", true)]
    [InlineData("6.0.0b2", true)]
    [InlineData("6.0.0.dev4", true)]
    [InlineData("", true)]
    public void The_sae_lens_version_decides_between_v6_and_legacy(string version, bool legacy)
    {
        var cfg = $$"""{ "d_in": 4, "d_sae": 8, "architecture": "jumprelu", "metadata": { "sae_lens_version": "{{version}}", "hook_name": "h" } }""";
        var config = SaeLensConfigJson.Parse(cfg, "cfg.json");
        Assert.Equal(legacy, config.ConvertedFromLegacy);
        Assert.Equal("jumprelu", config.Architecture);
        Assert.Equal(legacy ? null : "h", config.Metadata.HookName); // a legacy reading looks for flat keys only
    }

    [Theory]
    [InlineData("""{ "d_sae": 8, "architecture": "topk", "metadata": { "sae_lens_version": "6.1.0" } }""", "cfg.json: d_in: is required")]
    [InlineData("""{ "d_in": "4", "d_sae": 8, "architecture": "topk", "metadata": { "sae_lens_version": "6.1.0" } }""", "cfg.json: d_in: expected an integer, got \"4\"")]
    [InlineData("""{ "d_in": 4, "d_sae": 8, "architecture": "topk", "k": 0, "metadata": { "sae_lens_version": "6.1.0" } }""", "cfg.json: k: must be positive, got 0")]
    [InlineData("""{ "d_in": 4, "d_sae": 8, "architecture": "topk", "normalize_activations": "l2", "metadata": { "sae_lens_version": "6.1.0" } }""", "cfg.json: normalize_activations: expected one of none, expected_average_only_in, constant_norm_rescale, layer_norm, got \"l2\"")]
    [InlineData("""{ "d_in": 4, "d_sae": 8, "architecture": "topk", "metadata": { "sae_lens_version": "6.1.0", "context_size": 1.5 } }""", "cfg.json: metadata.context_size: expected an integer, got 1.5")]
    [InlineData("""{ "d_in": 4, "d_sae": 8, "metadata": { "sae_lens_version": "six" } }""", "cfg.json: sae_lens_version: 'six' is not a PEP 440 version")]
    [InlineData("""{ "d_in": 4, """, "cfg.json: not valid JSON:")]
    public void Bad_config_values_are_reported_with_their_key(string json, string expected)
    {
        var e = Assert.Throws<RunnerException>(() => SaeLensConfigJson.Parse(json, "cfg.json"));
        Assert.StartsWith(expected, e.Message);
    }

    [Fact]
    public void Unsupported_architectures_are_named()
    {
        File.WriteAllText(Path.Combine(_dir.Path, "cfg.json"), """{ "d_in": 4, "d_sae": 8, "architecture": "transcoder", "metadata": { "sae_lens_version": "6.1.0" } }""");
        File.WriteAllBytes(Path.Combine(_dir.Path, SaeLensFolder.WeightsFile), [2, 0, 0, 0, 0, 0, 0, 0, (byte)'{', (byte)'}']);
        var e = Assert.Throws<RunnerException>(() => SaeLensFolder.Inspect(_dir.Path));
        Assert.Equal($"{Path.Combine(_dir.Path, "cfg.json")}: architecture 'transcoder' is not supported (supported: standard, topk, jumprelu, gated)", e.Message);
    }
}

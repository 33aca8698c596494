using Runner.Core.Models;
using Runner.Core.Tests.IO;
using static Runner.Core.Tests.Models.HfCacheBuilder;

namespace Runner.Core.Tests.Models;

public sealed class HfModelLocatorTests
{
    [Fact]
    public void An_id_resolves_through_refs_main_to_a_snapshot_of_symlinks_into_blobs()
    {
        using var temp = new TempFolder();
        var snapshot = AddSnapshot(temp.Path, "gpt2", CommitA);
        SetRef(temp.Path, "gpt2", "main", CommitA + "\n");
        var model = HfModelLocator.Resolve(null, "gpt2", null, Environment(("HF_HUB_CACHE", temp.Path)));
        Assert.Equal(new ResolvedModel(snapshot, "gpt2", CommitA, "hf-cache"), model);
        Assert.NotNull(new FileInfo(Path.Combine(model.Directory, "config.json")).LinkTarget);
        Assert.Contains(CommitA, File.ReadAllText(Path.Combine(model.Directory, "config.json")));
    }

    [Fact]
    public void An_id_with_an_org_maps_to_models_org_name()
    {
        using var temp = new TempFolder();
        AddSnapshot(temp.Path, "EleutherAI/pythia-70m", CommitB);
        SetRef(temp.Path, "EleutherAI/pythia-70m", "main", CommitB);
        var model = HfModelLocator.Resolve(null, "EleutherAI/pythia-70m", null, Environment(("HF_HUB_CACHE", temp.Path)));
        Assert.Equal(Path.Combine(temp.Path, "models--EleutherAI--pythia-70m", "snapshots", CommitB), model.Directory);
        Assert.Equal("EleutherAI/pythia-70m", model.Id);
    }

    [Fact]
    public void Cache_roots_follow_huggingface_hub_order_skip_unset_variables_and_appear_once()
    {
        var all = HfModelLocator.CacheRoots(Environment(
            ("HF_HUB_CACHE", "/a/hub-cache"), ("HF_HOME", "/b/hf"), ("XDG_CACHE_HOME", "/c/cache"), ("HOME", "/d/home")));
        Assert.Equal(["/a/hub-cache", "/b/hf/hub", "/c/cache/huggingface/hub", "/d/home/.cache/huggingface/hub"], all);

        var some = HfModelLocator.CacheRoots(Environment(("HF_HOME", "~/.cache/huggingface"), ("XDG_CACHE_HOME", ""), ("HOME", "/d/home")));
        Assert.Equal(["/d/home/.cache/huggingface/hub"], some);
        Assert.Empty(HfModelLocator.CacheRoots(Environment()));
    }

    [Fact]
    public void A_later_root_is_used_when_the_first_lacks_the_model_and_the_first_wins_when_both_have_it()
    {
        using var temp = new TempFolder();
        var env = Environment(("HF_HUB_CACHE", temp["first"]), ("HF_HOME", temp["hf"]), ("HOME", "/nonexistent-home"));
        var (first, second) = (temp["first"], temp["hf/hub"]);
        Directory.CreateDirectory(first);
        var inSecond = AddSnapshot(second, "gpt2", CommitA);
        SetRef(second, "gpt2", "main", CommitA);
        Assert.Equal(inSecond, HfModelLocator.Resolve(null, "gpt2", null, env).Directory);

        var inFirst = AddSnapshot(first, "gpt2", CommitB);
        SetRef(first, "gpt2", "main", CommitB);
        Assert.Equal(inFirst, HfModelLocator.Resolve(null, "gpt2", null, env).Directory);
    }

    [Fact]
    public void A_revision_may_be_a_ref_name_a_full_commit_or_an_unambiguous_prefix()
    {
        using var temp = new TempFolder();
        AddSnapshot(temp.Path, "gpt2", CommitA);
        AddSnapshot(temp.Path, "gpt2", CommitC);
        SetRef(temp.Path, "gpt2", "main", CommitA);
        SetRef(temp.Path, "gpt2", "v2", CommitC);
        SetRef(temp.Path, "gpt2", "refs/pr/1", CommitC);
        var env = Environment(("HF_HUB_CACHE", temp.Path));
        Assert.Equal(CommitA, HfModelLocator.Resolve(null, "gpt2", null, env).Revision);
        Assert.Equal(CommitC, HfModelLocator.Resolve(null, "gpt2", "v2", env).Revision);
        Assert.Equal(CommitC, HfModelLocator.Resolve(null, "gpt2", "refs/pr/1", env).Revision);
        Assert.Equal(CommitC, HfModelLocator.Resolve(null, "gpt2", CommitC, env).Revision);
        Assert.Equal(CommitC, HfModelLocator.Resolve(null, "gpt2", "89abcde", env).Revision);
        Assert.Equal(CommitA, HfModelLocator.Resolve(null, "gpt2", "0123456789AB", env).Revision);
    }

    [Fact]
    public void An_ambiguous_or_unknown_commit_prefix_is_an_error_naming_the_matches()
    {
        using var temp = new TempFolder();
        AddSnapshot(temp.Path, "gpt2", CommitA);
        AddSnapshot(temp.Path, "gpt2", CommitB);
        var env = Environment(("HF_HUB_CACHE", temp.Path));
        var several = Assert.Throws<RunnerException>(() => HfModelLocator.Resolve(null, "gpt2", "0123456", env));
        Assert.Contains("matches several snapshots", several.Message);
        Assert.Contains(CommitA, several.Message);
        Assert.Contains(CommitB, several.Message);
        var none = Assert.Throws<RunnerException>(() => HfModelLocator.Resolve(null, "gpt2", "fffffff", env));
        Assert.Contains("whose commit starts with 'fffffff'", none.Message);
        var tooShort = Assert.Throws<RunnerException>(() => HfModelLocator.Resolve(null, "gpt2", "012345", env));
        Assert.Contains("no ref models--gpt2/refs/012345", tooShort.Message);
    }

    [Fact]
    public void A_model_missing_everywhere_names_every_place_looked_and_suggests_model_path()
    {
        using var temp = new TempFolder();
        var env = Environment(("HF_HUB_CACHE", temp["a"]), ("HF_HOME", temp["b"]), ("XDG_CACHE_HOME", temp["c"]), ("HOME", temp["d"]));
        var e = Assert.Throws<RunnerException>(() => HfModelLocator.Resolve(null, "gpt2", null, env));
        Assert.Equal(2, e.ExitCode);
        foreach (var root in HfModelLocator.CacheRoots(env))
            Assert.Contains($"{root}: no folder models--gpt2", e.Message);
        Assert.Contains("model.path", e.Message);
        Assert.Contains("model.id 'gpt2'", e.Message);
    }

    [Fact]
    public void Each_broken_cache_state_is_named_in_the_error_beside_its_root()
    {
        using var temp = new TempFolder();
        var env = Environment(("HF_HUB_CACHE", temp["1"]), ("HF_HOME", temp["2"]), ("XDG_CACHE_HOME", temp["3"]), ("HOME", temp["4"]));
        var roots = HfModelLocator.CacheRoots(env);
        AddSnapshot(roots[0], "gpt2", CommitA);                                // no refs/main
        AddSnapshot(roots[1], "gpt2", CommitA);
        SetRef(roots[1], "gpt2", "main", CommitB);                            // refs/main points at a missing snapshot
        AddSnapshot(roots[2], "gpt2", CommitA, new Dictionary<string, string> { ["model.safetensors"] = "weights" });
        SetRef(roots[2], "gpt2", "main", CommitA);                            // the snapshot lacks config.json
        var snapshot = AddSnapshot(roots[3], "gpt2", CommitA);
        SetRef(roots[3], "gpt2", "main", CommitA);
        File.Delete(new FileInfo(Path.Combine(snapshot, "config.json")).ResolveLinkTarget(true)!.FullName);   // its blob was deleted

        var e = Assert.Throws<RunnerException>(() => HfModelLocator.Resolve(null, "gpt2", null, env));
        Assert.Contains($"{roots[0]}: no models--gpt2/refs/main", e.Message);
        Assert.Contains($"{roots[1]}: models--gpt2/refs/main points at snapshot '{CommitB}', which is missing", e.Message);
        Assert.Contains($"{roots[2]}: snapshot models--gpt2/snapshots/{CommitA} has no config.json;", e.Message);
        Assert.Contains($"{roots[3]}: snapshot models--gpt2/snapshots/{CommitA} has no config.json (it is a symlink to the missing", e.Message);
    }

    [Fact]
    public void A_path_must_be_a_folder_with_config_json()
    {
        using var temp = new TempFolder();
        var env = Environment(("HOME", temp.Path));
        var missing = Assert.Throws<RunnerException>(() => HfModelLocator.Resolve(temp["nope"], null, null, env));
        Assert.Contains("no such folder", missing.Message);
        Directory.CreateDirectory(temp["ckpt"]);
        var noConfig = Assert.Throws<RunnerException>(() => HfModelLocator.Resolve(temp["ckpt"], null, null, env));
        Assert.Contains("has no config.json", noConfig.Message);
        File.WriteAllText(temp["ckpt/config.json"], "{}");
        Assert.Equal(new ResolvedModel(temp["ckpt"], null, null, "path"), HfModelLocator.Resolve(temp["ckpt"] + "/", null, null, env));
        Assert.Equal(temp["ckpt"], HfModelLocator.Resolve("~/ckpt", null, null, env).Directory);
    }

    [Theory]
    [InlineData("/x", "gpt2", null, "not both")]
    [InlineData(null, null, null, "set model.path")]
    [InlineData(null, "../etc", null, "is not a Hugging Face model id")]
    [InlineData(null, "a/b/c", null, "is not a Hugging Face model id")]
    [InlineData(null, "gpt2", "../../x", "is not a ref name or commit hash")]
    [InlineData("/x", null, "main", "applies to model.id only")]
    public void Impossible_arguments_are_usage_errors(string? path, string? id, string? revision, string expected)
    {
        var e = Assert.Throws<RunnerException>(() => HfModelLocator.Resolve(path, id, revision, Environment(("HOME", "/nonexistent"))));
        Assert.Contains(expected, e.Message);
        Assert.Equal(2, e.ExitCode);
    }
}

using Runner.Core;
using Runner.Pipeline.Caching;

namespace Runner.Pipeline.Tests.Caching;

public sealed class CacheLocationTests
{
    private static Func<string, string?> Env(string? cache = null, string? verify = null) =>
        name => name == "RUNNER_CACHE" ? cache : name == "RUNNER_CACHE_VERIFY" ? verify : null;

    [Fact]
    public void An_explicit_root_wins_over_RUNNER_CACHE_which_wins_over_the_default()
    {
        Assert.Equal("/work/proj/c1", CacheLocation.Resolve("c1", "/work/proj", Env("/shared/cache")));
        Assert.Equal("/shared/cache", CacheLocation.Resolve(null, "/work/proj", Env("/shared/cache")));
        Assert.Equal("/work/proj/rel", CacheLocation.Resolve("", "/work/proj", Env("rel")));
        Assert.Equal("/work/proj/.runner/cache", CacheLocation.Resolve(null, "/work/proj", Env()));
    }

    [Fact]
    public void RUNNER_CACHE_VERIFY_chooses_the_verification_and_rejects_unknown_values()
    {
        Assert.Equal(CacheVerification.Auto, CacheOptions.Create(null, "/p", Env()).Verification);
        Assert.Equal(CacheVerification.Full, CacheOptions.Create(null, "/p", Env(verify: "FULL")).Verification);
        Assert.Equal(CacheVerification.Sizes, CacheOptions.Create(null, "/p", Env(verify: "sizes")).Verification);
        var e = Assert.Throws<RunnerException>(() => CacheOptions.Create(null, "/p", Env(verify: "some")));
        Assert.Equal(("RUNNER_CACHE_VERIFY: expected auto, full or sizes, got 'some'", 2), (e.Message, e.ExitCode));
    }
}

using Runner.Pipeline.Spec;

namespace Runner.Pipeline.Tests.SpecLanguage;

/// <summary>Loads spec text without touching the disk: it reads as the file <c>/virtual/spec.yaml</c>, shown as <c>spec.yaml</c>.</summary>
internal static class SpecText
{
    public const string Folder = "/virtual";

    public static SpecLoadResult TryLoad(string yaml, IReadOnlyList<string>? overrides = null, IReadOnlyDictionary<string, string>? env = null) =>
        SpecLoader.TryLoadText(yaml, Folder + "/spec.yaml", Options(overrides, env));

    public static LoadedExperiment Load(string yaml, IReadOnlyList<string>? overrides = null, IReadOnlyDictionary<string, string>? env = null) =>
        SpecLoader.LoadText(yaml, Folder + "/spec.yaml", Options(overrides, env));

    /// <summary>The rendered errors of <paramref name="yaml"/>.</summary>
    public static IReadOnlyList<string> Errors(string yaml, IReadOnlyList<string>? overrides = null, IReadOnlyDictionary<string, string>? env = null) =>
        TryLoad(yaml, overrides, env).Errors.Select(e => e.ToString()).ToList();

    public static SpecLoadOptions Options(IReadOnlyList<string>? overrides, IReadOnlyDictionary<string, string>? env, string folder = Folder) => new()
    {
        Overrides = overrides ?? [],
        Environment = name => env is not null && env.TryGetValue(name, out var v) ? v : null,
        WorkingDirectory = folder,
    };
}

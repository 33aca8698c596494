namespace Runner.Pipeline.Spec;

/// <summary>
/// Loads an experiment spec: YAML → includes merged → <c>--set</c> overrides → <c>${VAR}</c>
/// interpolation → sweep expanded → every point validated and resolved. Nothing runs unless every
/// point is valid; all errors are reported at once, in file order.
/// </summary>
public static class SpecLoader
{
    /// <summary>Loads and resolves <paramref name="path"/>; throws <see cref="SpecException"/> with every error.</summary>
    public static LoadedExperiment Load(string path, IReadOnlyList<string>? overrides = null, Func<string, string?>? environment = null) =>
        Load(path, new SpecLoadOptions { Overrides = overrides ?? [], Environment = environment });

    /// <summary>Loads and resolves <paramref name="path"/>; throws <see cref="SpecException"/> with every error.</summary>
    public static LoadedExperiment Load(string path, SpecLoadOptions options) => Unwrap(TryLoad(path, options));

    /// <summary>Loads <paramref name="path"/> without throwing for spec errors (for <c>runner validate</c>).</summary>
    public static SpecLoadResult TryLoad(string path, IReadOnlyList<string>? overrides = null, Func<string, string?>? environment = null) =>
        TryLoad(path, new SpecLoadOptions { Overrides = overrides ?? [], Environment = environment });

    /// <summary>Loads <paramref name="path"/> without throwing for spec errors (for <c>runner validate</c>).</summary>
    public static SpecLoadResult TryLoad(string path, SpecLoadOptions options) => new SpecLoading(options).Run(path, text: null);

    /// <summary>
    /// Loads spec text as if it were the file <paramref name="path"/> (which need not exist: it names
    /// the text in errors and anchors relative includes and paths).
    /// </summary>
    public static SpecLoadResult TryLoadText(string yaml, string path, SpecLoadOptions? options = null) =>
        new SpecLoading(options ?? new SpecLoadOptions()).Run(path, yaml);

    /// <summary>Like <see cref="TryLoadText"/>, throwing <see cref="SpecException"/> with every error.</summary>
    public static LoadedExperiment LoadText(string yaml, string path, SpecLoadOptions? options = null) =>
        Unwrap(TryLoadText(yaml, path, options));

    private static LoadedExperiment Unwrap(SpecLoadResult result) => result.Experiment ?? throw new SpecException(result.Errors);
}

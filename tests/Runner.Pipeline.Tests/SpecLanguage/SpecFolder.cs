using Runner.Pipeline.Spec;

namespace Runner.Pipeline.Tests.SpecLanguage;

/// <summary>A temporary folder of spec files (for includes and paths); errors show paths relative to it.</summary>
internal sealed class SpecFolder : IDisposable
{
    public SpecFolder() => Root = Directory.CreateTempSubdirectory("runner-spec-").FullName;

    public string Root { get; }

    public Dictionary<string, string> Env { get; } = new(StringComparer.Ordinal);

    /// <summary>Writes <paramref name="text"/> to <paramref name="relative"/>; returns the absolute path.</summary>
    public string Write(string relative, string text)
    {
        var full = Path.Combine(Root, relative);
        Directory.CreateDirectory(Path.GetDirectoryName(full)!);
        File.WriteAllText(full, text);
        return full;
    }

    public SpecLoadResult TryLoad(string relative, params string[] overrides) =>
        SpecLoader.TryLoad(relative, SpecText.Options(overrides, Env, Root));

    public LoadedExperiment Load(string relative, params string[] overrides) =>
        SpecLoader.Load(relative, SpecText.Options(overrides, Env, Root));

    public IReadOnlyList<string> Errors(string relative, params string[] overrides) =>
        TryLoad(relative, overrides).Errors.Select(e => e.ToString()).ToList();

    public void Dispose() => Directory.Delete(Root, recursive: true);
}

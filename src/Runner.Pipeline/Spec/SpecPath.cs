namespace Runner.Pipeline.Spec;

/// <summary>Key paths as errors show them: <c>sae.k</c>, <c>steer.clamps[0].value</c>.</summary>
internal static class SpecPath
{
    public static string Key(string parent, string key) => parent.Length == 0 ? key : parent + "." + key;

    public static string Index(string parent, int index) => $"{parent}[{index}]";
}

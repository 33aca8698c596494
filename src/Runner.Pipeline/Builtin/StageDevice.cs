using Runner.Torch;

namespace Runner.Pipeline.Builtin;

/// <summary>The spec's <c>device</c> resolved on this machine, and the part of it that changes results.</summary>
internal static class StageDevice
{
    /// <summary>auto -> cuda when available, else cpu; cuda:N as given.</summary>
    public static Device Resolve(string spec) => Device.Parse(spec);

    /// <summary>
    /// "cpu" or "cuda": part of the slice of every stage that computes, since results differ between
    /// device classes (not between device indices, which are excluded).
    /// </summary>
    public static string Class(string spec) => Resolve(spec).IsCuda ? "cuda" : "cpu";
}

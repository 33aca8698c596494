using System.Text.Json.Serialization;

namespace Runner.Pipeline.Spec;

/// <summary>Token positions a clamp acts on (spec key <c>steer.clamps[].positions</c>).</summary>
public enum ClampPositions
{
    /// <summary>Every position, prompt and generated.</summary>
    [JsonStringEnumMemberName("all")] All,

    /// <summary>Prompt tokens only.</summary>
    [JsonStringEnumMemberName("prompt")] Prompt,

    /// <summary>Generated tokens only.</summary>
    [JsonStringEnumMemberName("generated")] Generated,
}

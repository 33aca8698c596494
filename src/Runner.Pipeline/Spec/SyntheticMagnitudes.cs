using System.Text.Json.Serialization;

namespace Runner.Pipeline.Spec;

/// <summary><c>data.synthetic.magnitudes</c>: how an active feature's magnitude is drawn.</summary>
public enum SyntheticMagnitudes
{
    /// <summary>Always <c>magnitude</c>.</summary>
    [JsonStringEnumMemberName("constant")] Constant,

    /// <summary>Uniform on [m/2, 3m/2].</summary>
    [JsonStringEnumMemberName("uniform")] Uniform,

    /// <summary>Exponential with mean m.</summary>
    [JsonStringEnumMemberName("exponential")] Exponential,
}

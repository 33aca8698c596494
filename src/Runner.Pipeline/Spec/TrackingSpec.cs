using System.Text.Json.Serialization;

namespace Runner.Pipeline.Spec;

/// <summary>The spec's <c>tracking</c> section: <c>none</c>, or <c>{ mlflow: { experiment, uri } }</c>.</summary>
[JsonConverter(typeof(TrackingSpecJsonConverter))]
public sealed record TrackingSpec
{
    /// <summary>MLflow tracking; null when the spec says <c>tracking: none</c>.</summary>
    public MlflowSpec? Mlflow { get; init; } = new();
}

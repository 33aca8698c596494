namespace Runner.Pipeline.Tracking;

/// <summary>One metric value as MLflow stores it: key, value, epoch-millisecond timestamp, step.</summary>
/// <param name="Key">The metric name (a normalized path: <c>train/loss</c>, <c>evaluate.fvu</c>).</param>
/// <param name="Value">The value; NaN and infinities are allowed (sent as <c>"NaN"</c>, <c>"Infinity"</c>).</param>
/// <param name="Timestamp">Epoch milliseconds.</param>
/// <param name="Step">The step (0 for final metrics).</param>
public sealed record MlflowMetric(string Key, double Value, long Timestamp, long Step)
{
    /// <summary>True when <paramref name="other"/> is the same record (NaN equals NaN here).</summary>
    public bool SameAs(MlflowMetric other) =>
        Key == other.Key && Timestamp == other.Timestamp && Step == other.Step
        && (Value.Equals(other.Value) || (double.IsNaN(Value) && double.IsNaN(other.Value)));
}

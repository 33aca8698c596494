namespace Runner.Pipeline.Hooks;

/// <summary>
/// One column of a table a hook writes with <see cref="HookContext.WriteParquet"/>: a name and its values,
/// an <c>int[]</c>, <c>long[]</c>, <c>float[]</c>, <c>double[]</c>, <c>bool[]</c> or <c>string[]</c>
/// (nullable element types make an optional column).
/// <example><code>ctx.WriteParquet("scores", HookColumn("feature", [| 0; 1 |]), HookColumn("score", [| 0.5; 0.25 |]))</code></example>
/// </summary>
/// <param name="Name">Column name.</param>
/// <param name="Values">Values, one per row.</param>
public sealed record HookColumn(string Name, Array Values);

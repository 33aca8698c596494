namespace Runner.Pipeline.Spec;

/// <summary>What a plain YAML scalar means under the YAML 1.2 core schema (plus <c>1_000</c> digit groups).</summary>
internal enum ScalarKind
{
    Null,
    Bool,
    Int,
    Float,
    String,
}

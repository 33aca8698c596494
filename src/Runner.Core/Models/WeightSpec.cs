namespace Runner.Core.Models;

/// <summary>
/// One checkpoint tensor of a family: its Hugging Face name, shape and initialization (normal with
/// <paramref name="Std"/>, zeros when Std is 0, ones with <paramref name="Ones"/>). Norm parameters
/// (<paramref name="IsNorm"/>) are kept in float32 whatever the model's dtype.
/// </summary>
internal readonly record struct WeightSpec(string Name, long[] Shape, double Std, bool Ones = false, bool IsNorm = false)
{
    public static WeightSpec Normal(string name, double std, params long[] shape) => new(name, shape, std);
    public static WeightSpec Zeros(string name, params long[] shape) => new(name, shape, 0);
    public static WeightSpec NormWeight(string name, long d) => new(name, [d], 0, Ones: true, IsNorm: true);
    public static WeightSpec NormBias(string name, long d) => new(name, [d], 0, IsNorm: true);
}

namespace Runner.Torch.Tests;

/// <summary>Reading tensors back and comparing them with values computed in C#.</summary>
internal static class Approx
{
    /// <summary>The elements as double, whatever the tensor's dtype and device.</summary>
    public static double[] Values(Tensor t) => t.To(Device.Cpu, DType.Float64).ToArray<double>();

    /// <summary>The elements as long (integral and bool tensors).</summary>
    public static long[] Longs(Tensor t) => t.To(Device.Cpu, DType.Int64).ToArray<long>();

    /// <summary>The elements as bool.</summary>
    public static bool[] Bools(Tensor t) => t.To(Device.Cpu, DType.Bool).ToArray<bool>();

    /// <summary>Asserts |expected - actual| &lt;= tol * max(1, |expected|) elementwise.</summary>
    public static void Equal(IReadOnlyList<double> expected, IReadOnlyList<double> actual, double tol = 1e-6)
    {
        Assert.Equal(expected.Count, actual.Count);
        for (var i = 0; i < expected.Count; i++)
        {
            var e = expected[i];
            var a = actual[i];
            if (double.IsNaN(e))
            {
                Assert.True(double.IsNaN(a), $"element {i}: expected NaN, got {a}");
                continue;
            }
            if (double.IsInfinity(e))
            {
                Assert.Equal(e, a);
                continue;
            }
            Assert.True(Math.Abs(e - a) <= tol * Math.Max(1, Math.Abs(e)), $"element {i}: expected {e:R}, got {a:R} (tolerance {tol})");
        }
    }

    /// <summary>Asserts the tensor's elements equal <paramref name="expected"/> within <paramref name="tol"/>.</summary>
    public static void Equal(IReadOnlyList<double> expected, Tensor actual, double tol = 1e-6) => Equal(expected, Values(actual), tol);

    /// <summary>Asserts two tensors have the same shape and close elements.</summary>
    public static void Equal(Tensor expected, Tensor actual, double tol = 1e-6)
    {
        Assert.Equal(expected.Shape, actual.Shape);
        Equal(Values(expected), Values(actual), tol);
    }

    /// <summary>
    /// <see cref="Tensor.LiveCount"/> once the GC has finalized any unreachable, undisposed tensor
    /// (whose finalizer would otherwise change the count in the middle of a measurement).
    /// </summary>
    public static long SettledLiveCount()
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
        return Tensor.LiveCount;
    }

    /// <summary>The error function, by its Taylor series (accurate to ~1e-14 for |x| &lt;= 3).</summary>
    public static double Erf(double x)
    {
        double sum = 0, term = x;
        for (var n = 0; n < 100; n++)
        {
            sum += term / (2 * n + 1);
            term *= -x * x / (n + 1);
        }
        return 2 / Math.Sqrt(Math.PI) * sum;
    }
}

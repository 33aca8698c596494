using Runner.Torch;

namespace Runner.Core.Sae;

/// <summary>The geometric median: the point minimizing the sum of Euclidean distances to a set of points.</summary>
public static class GeometricMedian
{
    /// <summary>
    /// Weiszfeld's iterations y ← Σ w_n x_n / Σ w_n with w_n = 1/‖x_n − y‖, from the mean, until a
    /// step moves y by less than <paramref name="tolerance"/> relative to ‖y‖ (at least 1). points:
    /// [n, d] -> [d], on the points' device and dtype.
    /// </summary>
    public static Tensor Of(Tensor points, int maxIterations = 200, double tolerance = 1e-7)
    {
        if (points.Dim != 2 || points.Size(0) == 0) throw new ArgumentException($"expected points of shape [n, d] with n > 0, got [{string.Join(", ", points.Shape)}]", nameof(points));
        using var scope = TensorScope.Enter();
        using var noGrad = TorchRuntime.NoGrad();
        var y = points.Mean([0]);                                                 // [d]
        for (var i = 0; i < maxIterations; i++)
        {
            using var step = TensorScope.Enter();
            var w = (points - y).Norm(2, 1).Clamp_(min: 1e-12).Reciprocal();     // [n]; a point at y keeps a huge finite weight
            var next = (w.Unsqueeze(1) * points).Sum([0]) / w.Sum();
            var moved = (next - y).Norm().ToDouble();
            y = step.Keep(next);
            if (moved <= tolerance * Math.Max(1, y.Norm().ToDouble())) break;
        }
        return scope.Keep(y);
    }
}

namespace Runner.Torch;

// Elementwise math, comparisons and reductions. Methods ending in an underscore work in place
// and return this tensor.
public sealed partial class Tensor
{
    private Tensor Unary(UnaryOp op, string name) => Wrap(NativeMethods.rt_unary((int)op, Handle), name);
    private Tensor Binary(BinaryOp op, Tensor other, string name) => Wrap(NativeMethods.rt_binary((int)op, Handle, other.Handle), name);
    private Tensor Binary(BinaryOp op, Scalar s, string name) => Wrap(NativeMethods.rt_binary_scalar((int)op, Handle, s.Double, s.Long, s.Kind), name);
    private Tensor InPlace(int status, string name)
    {
        NativeMethods.Check(status, name);
        return this;
    }

    /// <summary>a + b (broadcasting).</summary>
    public static Tensor operator +(Tensor a, Tensor b) => a.Binary(BinaryOp.Add, b, "add");
    /// <summary>a + s.</summary>
    public static Tensor operator +(Tensor a, Scalar s) => a.Binary(BinaryOp.Add, s, "add");
    /// <summary>s + a.</summary>
    public static Tensor operator +(Scalar s, Tensor a) => a.Binary(BinaryOp.Add, s, "add");
    /// <summary>a - b (broadcasting).</summary>
    public static Tensor operator -(Tensor a, Tensor b) => a.Binary(BinaryOp.Sub, b, "sub");
    /// <summary>a - s.</summary>
    public static Tensor operator -(Tensor a, Scalar s) => a.Binary(BinaryOp.Sub, s, "sub");
    /// <summary>s - a.</summary>
    public static Tensor operator -(Scalar s, Tensor a) => a.Binary(BinaryOp.RSub, s, "rsub");
    /// <summary>a * b, elementwise (broadcasting).</summary>
    public static Tensor operator *(Tensor a, Tensor b) => a.Binary(BinaryOp.Mul, b, "mul");
    /// <summary>a * s.</summary>
    public static Tensor operator *(Tensor a, Scalar s) => a.Binary(BinaryOp.Mul, s, "mul");
    /// <summary>s * a.</summary>
    public static Tensor operator *(Scalar s, Tensor a) => a.Binary(BinaryOp.Mul, s, "mul");
    /// <summary>a / b, true division (broadcasting).</summary>
    public static Tensor operator /(Tensor a, Tensor b) => a.Binary(BinaryOp.Div, b, "div");
    /// <summary>a / s.</summary>
    public static Tensor operator /(Tensor a, Scalar s) => a.Binary(BinaryOp.Div, s, "div");
    /// <summary>s / a.</summary>
    public static Tensor operator /(Scalar s, Tensor a) => a.Binary(BinaryOp.RDiv, s, "rdiv");
    /// <summary>-a.</summary>
    public static Tensor operator -(Tensor a) => a.Neg();

    /// <summary>this + other.</summary>
    public Tensor Add(Tensor other) => Binary(BinaryOp.Add, other, "add");
    /// <summary>this + s.</summary>
    public Tensor Add(Scalar s) => Binary(BinaryOp.Add, s, "add");
    /// <summary>this - other.</summary>
    public Tensor Sub(Tensor other) => Binary(BinaryOp.Sub, other, "sub");
    /// <summary>this - s.</summary>
    public Tensor Sub(Scalar s) => Binary(BinaryOp.Sub, s, "sub");
    /// <summary>this * other.</summary>
    public Tensor Mul(Tensor other) => Binary(BinaryOp.Mul, other, "mul");
    /// <summary>this * s.</summary>
    public Tensor Mul(Scalar s) => Binary(BinaryOp.Mul, s, "mul");
    /// <summary>this / other.</summary>
    public Tensor Div(Tensor other) => Binary(BinaryOp.Div, other, "div");
    /// <summary>this / s.</summary>
    public Tensor Div(Scalar s) => Binary(BinaryOp.Div, s, "div");
    /// <summary>this ^ exponent, elementwise.</summary>
    public Tensor Pow(Tensor exponent) => Binary(BinaryOp.Pow, exponent, "pow");
    /// <summary>this ^ exponent.</summary>
    public Tensor Pow(Scalar exponent) => Binary(BinaryOp.Pow, exponent, "pow");
    /// <summary>Elementwise maximum.</summary>
    public Tensor Maximum(Tensor other) => Binary(BinaryOp.Maximum, other, "maximum");
    /// <summary>Elementwise minimum.</summary>
    public Tensor Minimum(Tensor other) => Binary(BinaryOp.Minimum, other, "minimum");
    /// <summary>Python-style remainder (sign of the divisor).</summary>
    public Tensor Remainder(Scalar s) => Binary(BinaryOp.Remainder, s, "remainder");
    /// <summary>Division rounded down.</summary>
    public Tensor FloorDivide(Scalar s) => Binary(BinaryOp.FloorDivide, s, "floor_divide");

    /// <summary>this == other, elementwise (bool).</summary>
    public Tensor Eq(Tensor other) => Binary(BinaryOp.Eq, other, "eq");
    /// <summary>this == s, elementwise (bool).</summary>
    public Tensor Eq(Scalar s) => Binary(BinaryOp.Eq, s, "eq");
    /// <summary>this != other (bool).</summary>
    public Tensor Ne(Tensor other) => Binary(BinaryOp.Ne, other, "ne");
    /// <summary>this != s (bool).</summary>
    public Tensor Ne(Scalar s) => Binary(BinaryOp.Ne, s, "ne");
    /// <summary>this &lt; other (bool).</summary>
    public Tensor Lt(Tensor other) => Binary(BinaryOp.Lt, other, "lt");
    /// <summary>this &lt; s (bool).</summary>
    public Tensor Lt(Scalar s) => Binary(BinaryOp.Lt, s, "lt");
    /// <summary>this &lt;= other (bool).</summary>
    public Tensor Le(Tensor other) => Binary(BinaryOp.Le, other, "le");
    /// <summary>this &lt;= s (bool).</summary>
    public Tensor Le(Scalar s) => Binary(BinaryOp.Le, s, "le");
    /// <summary>this &gt; other (bool).</summary>
    public Tensor Gt(Tensor other) => Binary(BinaryOp.Gt, other, "gt");
    /// <summary>this &gt; s (bool).</summary>
    public Tensor Gt(Scalar s) => Binary(BinaryOp.Gt, s, "gt");
    /// <summary>this &gt;= other (bool).</summary>
    public Tensor Ge(Tensor other) => Binary(BinaryOp.Ge, other, "ge");
    /// <summary>this &gt;= s (bool).</summary>
    public Tensor Ge(Scalar s) => Binary(BinaryOp.Ge, s, "ge");
    /// <summary>Logical and (bool).</summary>
    public Tensor LogicalAnd(Tensor other) => Binary(BinaryOp.LogicalAnd, other, "logical_and");
    /// <summary>Logical or (bool).</summary>
    public Tensor LogicalOr(Tensor other) => Binary(BinaryOp.LogicalOr, other, "logical_or");
    /// <summary>Logical exclusive or (bool).</summary>
    public Tensor LogicalXor(Tensor other) => Binary(BinaryOp.LogicalXor, other, "logical_xor");
    /// <summary>Logical not (bool).</summary>
    public Tensor LogicalNot() => Unary(UnaryOp.LogicalNot, "logical_not");

    /// <summary>-x.</summary>
    public Tensor Neg() => Unary(UnaryOp.Neg, "neg");
    /// <summary>|x|.</summary>
    public Tensor Abs() => Unary(UnaryOp.Abs, "abs");
    /// <summary>e^x.</summary>
    public Tensor Exp() => Unary(UnaryOp.Exp, "exp");
    /// <summary>Natural logarithm.</summary>
    public Tensor Log() => Unary(UnaryOp.Log, "log");
    /// <summary>log(1 + x).</summary>
    public Tensor Log1p() => Unary(UnaryOp.Log1p, "log1p");
    /// <summary>Square root.</summary>
    public Tensor Sqrt() => Unary(UnaryOp.Sqrt, "sqrt");
    /// <summary>1 / sqrt(x).</summary>
    public Tensor Rsqrt() => Unary(UnaryOp.Rsqrt, "rsqrt");
    /// <summary>x².</summary>
    public Tensor Square() => Unary(UnaryOp.Square, "square");
    /// <summary>1 / x.</summary>
    public Tensor Reciprocal() => Unary(UnaryOp.Reciprocal, "reciprocal");
    /// <summary>max(x, 0).</summary>
    public Tensor Relu() => Unary(UnaryOp.Relu, "relu");
    /// <summary>GELU, exact (erf) form, or the tanh approximation GPT-2 uses.</summary>
    public Tensor Gelu(bool tanhApproximation = false) => Unary(tanhApproximation ? UnaryOp.GeluTanh : UnaryOp.Gelu, "gelu");
    /// <summary>x * sigmoid(x).</summary>
    public Tensor Silu() => Unary(UnaryOp.Silu, "silu");
    /// <summary>1 / (1 + e^-x).</summary>
    public Tensor Sigmoid() => Unary(UnaryOp.Sigmoid, "sigmoid");
    /// <summary>Hyperbolic tangent.</summary>
    public Tensor Tanh() => Unary(UnaryOp.Tanh, "tanh");
    /// <summary>Sine.</summary>
    public Tensor Sin() => Unary(UnaryOp.Sin, "sin");
    /// <summary>Cosine.</summary>
    public Tensor Cos() => Unary(UnaryOp.Cos, "cos");
    /// <summary>Error function.</summary>
    public Tensor Erf() => Unary(UnaryOp.Erf, "erf");
    /// <summary>-1, 0 or 1.</summary>
    public Tensor Sign() => Unary(UnaryOp.Sign, "sign");
    /// <summary>Round down.</summary>
    public Tensor Floor() => Unary(UnaryOp.Floor, "floor");
    /// <summary>Round up.</summary>
    public Tensor Ceil() => Unary(UnaryOp.Ceil, "ceil");
    /// <summary>Round half to even.</summary>
    public Tensor Round() => Unary(UnaryOp.Round, "round");
    /// <summary>True where NaN.</summary>
    public Tensor IsNan() => Unary(UnaryOp.IsNan, "isnan");
    /// <summary>True where ±infinity.</summary>
    public Tensor IsInf() => Unary(UnaryOp.IsInf, "isinf");
    /// <summary>True where finite.</summary>
    public Tensor IsFinite() => Unary(UnaryOp.IsFinite, "isfinite");

    /// <summary>Clamps into [min, max]; either bound may be omitted.</summary>
    public Tensor Clamp(double? min = null, double? max = null) =>
        Wrap(NativeMethods.rt_clamp(Handle, min ?? 0, max ?? 0, min.HasValue ? 1 : 0, max.HasValue ? 1 : 0), "clamp");
    /// <summary>Clamps in place.</summary>
    public Tensor Clamp_(double? min = null, double? max = null) =>
        InPlace(NativeMethods.rt_clamp_(Handle, min ?? 0, max ?? 0, min.HasValue ? 1 : 0, max.HasValue ? 1 : 0), "clamp_");
    /// <summary>Copy with <paramref name="value"/> where <paramref name="mask"/> is true.</summary>
    public Tensor MaskedFill(Tensor mask, Scalar value) => Wrap(NativeMethods.rt_masked_fill(Handle, mask.Handle, value.Double, value.Long, value.Kind), "masked_fill");
    /// <summary>Writes <paramref name="value"/> where <paramref name="mask"/> is true.</summary>
    public Tensor MaskedFill_(Tensor mask, Scalar value) => InPlace(NativeMethods.rt_masked_fill_(Handle, mask.Handle, value.Double, value.Long, value.Kind), "masked_fill_");
    /// <summary>The elements where <paramref name="mask"/> is true, as a 1-d tensor.</summary>
    public Tensor MaskedSelect(Tensor mask) => Wrap(NativeMethods.rt_masked_select(Handle, mask.Handle), "masked_select");

    /// <summary>this += other.</summary>
    public Tensor Add_(Tensor other) => InPlace(NativeMethods.rt_binary_((int)BinaryOp.Add, Handle, other.Handle), "add_");
    /// <summary>this += alpha * other.</summary>
    public Tensor Add_(Tensor other, double alpha) => InPlace(NativeMethods.rt_add_scaled_(Handle, other.Handle, alpha), "add_");
    /// <summary>this += s.</summary>
    public Tensor Add_(Scalar s) => InPlace(NativeMethods.rt_binary_scalar_((int)BinaryOp.Add, Handle, s.Double, s.Long, s.Kind), "add_");
    /// <summary>this -= other.</summary>
    public Tensor Sub_(Tensor other) => InPlace(NativeMethods.rt_binary_((int)BinaryOp.Sub, Handle, other.Handle), "sub_");
    /// <summary>this -= s.</summary>
    public Tensor Sub_(Scalar s) => InPlace(NativeMethods.rt_binary_scalar_((int)BinaryOp.Sub, Handle, s.Double, s.Long, s.Kind), "sub_");
    /// <summary>this *= other.</summary>
    public Tensor Mul_(Tensor other) => InPlace(NativeMethods.rt_binary_((int)BinaryOp.Mul, Handle, other.Handle), "mul_");
    /// <summary>this *= s.</summary>
    public Tensor Mul_(Scalar s) => InPlace(NativeMethods.rt_binary_scalar_((int)BinaryOp.Mul, Handle, s.Double, s.Long, s.Kind), "mul_");
    /// <summary>this /= other.</summary>
    public Tensor Div_(Tensor other) => InPlace(NativeMethods.rt_binary_((int)BinaryOp.Div, Handle, other.Handle), "div_");
    /// <summary>this /= s.</summary>
    public Tensor Div_(Scalar s) => InPlace(NativeMethods.rt_binary_scalar_((int)BinaryOp.Div, Handle, s.Double, s.Long, s.Kind), "div_");
    /// <summary>max(this, 0) in place.</summary>
    public Tensor Relu_() => InPlace(NativeMethods.rt_unary_((int)UnaryOp.Relu, Handle), "relu_");
    /// <summary>Copies <paramref name="source"/> (broadcast, converted) into this tensor.</summary>
    public Tensor Copy_(Tensor source) => InPlace(NativeMethods.rt_copy_(Handle, source.Handle), "copy_");
    /// <summary>Sets every element to <paramref name="value"/>.</summary>
    public Tensor Fill_(Scalar value) => InPlace(NativeMethods.rt_fill_(Handle, value.Double, value.Long, value.Kind), "fill_");
    /// <summary>Sets every element to zero.</summary>
    public Tensor Zero_() => InPlace(NativeMethods.rt_zero_(Handle), "zero_");

    /// <summary>True when same shape and every element is within atol + rtol * |other|.</summary>
    public bool AllClose(Tensor other, double rtol = 1e-5, double atol = 1e-8) =>
        NativeMethods.Check(NativeMethods.rt_allclose(Handle, other.Handle, rtol, atol), "allclose") == 1;
    /// <summary>True when same shape and equal elements.</summary>
    public bool Equal(Tensor other) => NativeMethods.Check(NativeMethods.rt_equal(Handle, other.Handle), "equal") == 1;

    private unsafe Tensor Reduce(ReduceOp op, long[] dims, bool keepDim, string name)
    {
        fixed (long* p = dims) return Wrap(NativeMethods.rt_reduce((int)op, Handle, p, dims.Length, keepDim ? 1 : 0), name);
    }

    /// <summary>Sum over every element.</summary>
    public Tensor Sum() => Reduce(ReduceOp.Sum, [], false, "sum");
    /// <summary>Sum over <paramref name="dims"/>.</summary>
    public Tensor Sum(long[] dims, bool keepDim = false) => Reduce(ReduceOp.Sum, dims, keepDim, "sum");
    /// <summary>Sum over one dimension.</summary>
    public Tensor Sum(long dim, bool keepDim = false) => Reduce(ReduceOp.Sum, [dim], keepDim, "sum");
    /// <summary>Mean over every element.</summary>
    public Tensor Mean() => Reduce(ReduceOp.Mean, [], false, "mean");
    /// <summary>Mean over <paramref name="dims"/>.</summary>
    public Tensor Mean(long[] dims, bool keepDim = false) => Reduce(ReduceOp.Mean, dims, keepDim, "mean");
    /// <summary>Mean over one dimension.</summary>
    public Tensor Mean(long dim, bool keepDim = false) => Reduce(ReduceOp.Mean, [dim], keepDim, "mean");
    /// <summary>Largest element.</summary>
    public Tensor Max() => Reduce(ReduceOp.Amax, [], false, "max");
    /// <summary>Largest values over <paramref name="dims"/> (no indices).</summary>
    public Tensor Amax(long[] dims, bool keepDim = false) => Reduce(ReduceOp.Amax, dims, keepDim, "amax");
    /// <summary>Smallest element.</summary>
    public Tensor Min() => Reduce(ReduceOp.Amin, [], false, "min");
    /// <summary>Smallest values over <paramref name="dims"/> (no indices).</summary>
    public Tensor Amin(long[] dims, bool keepDim = false) => Reduce(ReduceOp.Amin, dims, keepDim, "amin");
    /// <summary>Product of every element.</summary>
    public Tensor Prod() => Reduce(ReduceOp.Prod, [], false, "prod");
    /// <summary>True if any element is non-zero.</summary>
    public Tensor Any() => Reduce(ReduceOp.Any, [], false, "any");
    /// <summary>Any over one dimension.</summary>
    public Tensor Any(long dim, bool keepDim = false) => Reduce(ReduceOp.Any, [dim], keepDim, "any");
    /// <summary>True if every element is non-zero.</summary>
    public Tensor All() => Reduce(ReduceOp.All, [], false, "all");
    /// <summary>log Σ exp over one dimension, computed stably.</summary>
    public Tensor LogSumExp(long dim, bool keepDim = false) => Reduce(ReduceOp.LogSumExp, [dim], keepDim, "logsumexp");
    /// <summary>Number of non-zero elements over <paramref name="dims"/> (all when empty).</summary>
    public Tensor CountNonzero(params long[] dims) => Reduce(ReduceOp.CountNonzero, dims, false, "count_nonzero");

    /// <summary>Largest values and their indices along <paramref name="dim"/>.</summary>
    public (Tensor Values, Tensor Indices) Max(long dim, bool keepDim = false) => MaxMin(true, dim, keepDim);
    /// <summary>Smallest values and their indices along <paramref name="dim"/>.</summary>
    public (Tensor Values, Tensor Indices) Min(long dim, bool keepDim = false) => MaxMin(false, dim, keepDim);

    private (Tensor, Tensor) MaxMin(bool isMax, long dim, bool keepDim)
    {
        var name = isMax ? "max" : "min";
        NativeMethods.Check(NativeMethods.rt_max_min_dim(isMax ? 1 : 0, Handle, dim, keepDim ? 1 : 0, out var v, out var i), name);
        return (Wrap(v, name), Wrap(i, name));
    }

    /// <summary>Index of the largest element of the flattened tensor.</summary>
    public Tensor Argmax() => Wrap(NativeMethods.rt_argmax(1, Handle, 0, 0, 0), "argmax");
    /// <summary>Indices of the largest elements along <paramref name="dim"/>.</summary>
    public Tensor Argmax(long dim, bool keepDim = false) => Wrap(NativeMethods.rt_argmax(1, Handle, dim, 1, keepDim ? 1 : 0), "argmax");
    /// <summary>Indices of the smallest elements along <paramref name="dim"/>.</summary>
    public Tensor Argmin(long dim, bool keepDim = false) => Wrap(NativeMethods.rt_argmax(0, Handle, dim, 1, keepDim ? 1 : 0), "argmin");
    /// <summary>Cumulative sum along <paramref name="dim"/>.</summary>
    public Tensor Cumsum(long dim) => Wrap(NativeMethods.rt_cumsum(Handle, dim), "cumsum");

    /// <summary>Variance over <paramref name="dims"/> (all when empty); correction 1 is the unbiased estimate.</summary>
    public unsafe Tensor Var(long[]? dims = null, long correction = 1, bool keepDim = false)
    {
        dims ??= [];
        fixed (long* p = dims) return Wrap(NativeMethods.rt_var(Handle, p, dims.Length, correction, keepDim ? 1 : 0), "var");
    }

    /// <summary>p-norm over <paramref name="dims"/> (all when empty).</summary>
    public unsafe Tensor Norm(double p = 2, long[]? dims = null, bool keepDim = false)
    {
        dims ??= [];
        fixed (long* d = dims) return Wrap(NativeMethods.rt_norm(Handle, p, d, dims.Length, keepDim ? 1 : 0), "norm");
    }

    /// <summary>p-norm over one dimension.</summary>
    public Tensor Norm(double p, long dim, bool keepDim = false) => Norm(p, [dim], keepDim);
}

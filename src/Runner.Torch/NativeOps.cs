namespace Runner.Torch;

// Op codes of rt_unary / rt_binary / rt_reduce; keep in step with the enums in runner_torch.cpp.

internal enum UnaryOp
{
    Neg, Abs, Exp, Log, Sqrt, Rsqrt, Relu, Gelu, GeluTanh, Silu, Sigmoid, Tanh,
    Sin, Cos, Square, Log1p, Sign, Floor, Ceil, Round, LogicalNot, Reciprocal,
    IsNan, IsFinite, Erf, IsInf,
}

internal enum BinaryOp
{
    Add, Sub, Mul, Div, Pow, Maximum, Minimum, Eq, Ne, Lt, Le, Gt, Ge,
    LogicalAnd, LogicalOr, Remainder, FloorDivide, RSub, RDiv, LogicalXor,
}

internal enum ReduceOp
{
    Sum, Mean, Amax, Amin, Prod, Any, All, LogSumExp, CountNonzero,
}

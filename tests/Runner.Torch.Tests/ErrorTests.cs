namespace Runner.Torch.Tests;

public sealed class ErrorTests
{
    private static void AssertNoBacktrace(TorchException e)
    {
        Assert.DoesNotContain("Exception raised from", e.Message);
        Assert.DoesNotContain("frame #", e.Message);
        Assert.DoesNotContain("most recent call first", e.Message);
    }

    [Fact]
    public void TorchException_carries_the_operation_and_libtorchs_message()
    {
        var e = new TorchException("matmul", "shapes differ");
        Assert.Equal("matmul", e.Operation);
        Assert.Equal("shapes differ", e.NativeMessage);
        Assert.Equal("matmul: shapes differ", e.Message);
    }

    [Fact]
    public void Cat_of_mismatched_shapes_throws_TorchException_naming_the_sizes()
    {
        using var scope = TensorScope.Enter();
        var e = Assert.Throws<TorchException>(() => Tensors.Cat([Tensors.Ones([2, 3]), Tensors.Ones([2, 4])]));
        Assert.Equal("cat", e.Operation);
        Assert.Contains("Sizes of tensors must match except in dimension 0", e.NativeMessage);
        Assert.Contains("Expected size 3 but got size 4", e.NativeMessage);
        AssertNoBacktrace(e);
    }

    [Fact]
    public void Select_with_an_index_out_of_range_throws_TorchException()
    {
        using var scope = TensorScope.Enter();
        var e = Assert.Throws<TorchException>(() => Tensors.Ones([2, 3]).Select(0, 5));
        Assert.Equal("select", e.Operation);
        Assert.Contains("index 5 out of range", e.NativeMessage);
        AssertNoBacktrace(e);
    }

    [Fact]
    public void Cross_entropy_with_a_float_target_throws_TorchException_asking_for_Long()
    {
        using var scope = TensorScope.Enter();
        var logits = Tensors.Ones([3, 4]);
        var e = Assert.Throws<TorchException>(() => Functional.CrossEntropy(logits, Tensors.Zeros([3])));
        Assert.Equal("cross_entropy", e.Operation);
        Assert.Contains("Long", e.NativeMessage);
        AssertNoBacktrace(e);
        var e32 = Assert.Throws<TorchException>(() => Functional.CrossEntropy(logits, Tensors.Zeros([3], DType.Int32)));
        AssertNoBacktrace(e32);
    }

    public static TheoryData<string> FailingOps => new("matmul", "cat", "select", "view", "backward", "mean", "from", "cuda", "topk", "layer_norm", "gather");

    [Theory]
    [MemberData(nameof(FailingOps))]
    public void Every_failing_op_throws_TorchException_with_its_name_and_without_a_backtrace(string op)
    {
        using var scope = TensorScope.Enter();
        var x = Tensors.Ones([2, 3]);
        Action fail = op switch
        {
            "matmul" => () => x.Matmul(x),
            "cat" => () => Tensors.Cat([x, Tensors.Ones([3])]),
            "select" => () => x.Select(2, 0),
            "view" => () => x.T.View(6),
            "backward" => () => x.Backward(),                        // does not require grad
            "mean" => () => Tensors.Arange(4).Mean(),
            "from" => () => Tensors.From(new float[3], 2, 2),
            "cuda" => () => Tensors.Zeros([1], device: new Device(DeviceType.Cuda, 99)),
            "topk" => () => x.TopK(5),
            "layer_norm" => () => Functional.LayerNorm(x, [4]),
            "gather" => () => x.Gather(1, Tensors.From(new[] { 0f }, 1, 1)),   // float index
            _ => throw new ArgumentOutOfRangeException(nameof(op)),
        };
        var e = Assert.Throws<TorchException>(fail);
        Assert.False(string.IsNullOrWhiteSpace(e.NativeMessage));
        Assert.NotEqual("unknown libtorch error", e.NativeMessage);
        Assert.Equal($"{e.Operation}: {e.NativeMessage}", e.Message);
        AssertNoBacktrace(e);
    }

    [Fact]
    public void Using_a_disposed_tensor_throws_ObjectDisposedException()
    {
        using var scope = TensorScope.Enter();
        var t = Tensors.Ones([2]);
        t.Dispose();
        Assert.True(t.IsDisposed);
        Assert.Throws<ObjectDisposedException>(() => t + 1);
        Assert.Throws<ObjectDisposedException>(() => t.ToArray<float>());
        Assert.Throws<ObjectDisposedException>(() => t.Sum());
        Assert.Throws<ObjectDisposedException>(() => t.Add_(1));
        Assert.Throws<ObjectDisposedException>(() => Tensors.Ones([2]) * t);
        Assert.Throws<ObjectDisposedException>(() => t.DType);
        Assert.Throws<ObjectDisposedException>(() => Tensors.Cat([Tensors.Ones([2]), t]));
        Assert.Equal("Tensor(disposed)", t.ToString());
        t.Dispose();                                           // disposing twice is harmless
    }

    [Fact]
    public void A_tensor_disposed_by_its_scope_throws_ObjectDisposedException()
    {
        Tensor escaped;
        using (TensorScope.Enter()) escaped = Tensors.Ones([2]);
        Assert.True(escaped.IsDisposed);
        Assert.Throws<ObjectDisposedException>(() => escaped.ToDouble());
    }

    [Fact]
    public void A_disposed_generator_throws_ObjectDisposedException()
    {
        var g = new Generator(1);
        g.Dispose();
        g.Dispose();
        Assert.Throws<ObjectDisposedException>(() => Tensors.Randn([2], g));
    }

    [Fact]
    public void The_native_error_state_does_not_leak_into_the_next_successful_call()
    {
        using var scope = TensorScope.Enter();
        var x = Tensors.Ones([2, 3]).RequiresGrad_();
        var first = Assert.Throws<TorchException>(() => x.Matmul(x));

        Assert.Null(x.Grad);                                   // would throw if the stale message were read
        Assert.Equal([3f, 3f, 3f, 3f], x.Matmul(x.T).Detach().ToArray<float>());
        Assert.Equal(12.0, (x * 2).Sum().ToDouble());

        var second = Assert.Throws<TorchException>(() => Tensors.Ones([2]).Select(0, 9));
        Assert.Equal("select", second.Operation);
        Assert.DoesNotContain("cannot be multiplied", second.NativeMessage);   // a fresh message, not the matmul one
        Assert.Contains("cannot be multiplied", first.NativeMessage);
    }

    [Fact]
    public void Native_errors_are_per_thread()
    {
        using var scope = TensorScope.Enter();
        TorchException? fromThread = null;
        var thread = new Thread(() =>
        {
            try { Tensors.Ones([3]).Select(0, 7); }
            catch (TorchException e) { fromThread = e; }
        });
        var mine = Assert.Throws<TorchException>(() => Tensors.Ones([2, 3]).Matmul(Tensors.Ones([2, 3])));
        thread.Start();
        thread.Join();
        Assert.NotNull(fromThread);
        Assert.Contains("out of range", fromThread.NativeMessage);
        Assert.Contains("cannot be multiplied", mine.NativeMessage);
    }
}

using static Runner.Torch.Tests.Approx;

namespace Runner.Torch.Tests;

public sealed class ScopeTests
{
    [Fact]
    public void Tensors_created_inside_a_scope_are_disposed_when_it_ends()
    {
        Assert.Null(TensorScope.Current);
        var baseline = SettledLiveCount();
        Tensor a, b, c;
        using (var scope = TensorScope.Enter())
        {
            Assert.Same(scope, TensorScope.Current);
            a = Tensors.Ones([3]);
            b = a + 1;
            c = b.Sum();
            Assert.Equal(3, scope.Count);
            Assert.Equal(baseline + 3, Tensor.LiveCount);
            Assert.Same(scope, c.Owner);
        }
        Assert.Null(TensorScope.Current);
        Assert.True(a.IsDisposed);
        Assert.True(b.IsDisposed);
        Assert.True(c.IsDisposed);
        Assert.Equal(baseline, Tensor.LiveCount);
    }

    [Fact]
    public void Tuple_results_and_gradient_handles_belong_to_the_scope_too()
    {
        var baseline = SettledLiveCount();
        using (var scope = TensorScope.Enter())
        {
            var x = Tensors.From(new[] { 3f, 1f, 2f }).RequiresGrad_();
            var (values, indices) = x.Sort();
            var (top, topIdx) = x.TopK(2);
            var (max, argmax) = x.Max(0);
            (values * 2).Sum().Backward();
            var grad = x.Grad;
            Assert.All(new[] { values, indices, top, topIdx, max, argmax, grad! }, t => Assert.Same(scope, t.Owner));
        }
        Assert.Equal(baseline, Tensor.LiveCount);
    }

    [Fact]
    public void Keep_hands_a_tensor_to_the_outer_scope_which_disposes_it_when_it_ends()
    {
        var baseline = SettledLiveCount();
        Tensor kept, dropped;
        using (var outer = TensorScope.Enter())
        {
            using (var inner = TensorScope.Enter())
            {
                kept = inner.Keep(Tensors.Ones([2]) * 5);
                dropped = Tensors.Ones([2]);
                Assert.Same(outer, kept.Owner);
                Assert.Equal(1, outer.Count);
            }
            Assert.False(kept.IsDisposed);
            Assert.True(dropped.IsDisposed);
            Assert.Equal([5f, 5f], kept.ToArray<float>());
            Assert.Equal(1, outer.Count);
        }
        Assert.True(kept.IsDisposed);
        Assert.Equal(baseline, Tensor.LiveCount);
    }

    [Fact]
    public void Keep_without_an_outer_scope_hands_the_tensor_to_the_caller()
    {
        Assert.Null(TensorScope.Current);
        var baseline = SettledLiveCount();
        Tensor kept;
        using (var scope = TensorScope.Enter())
        {
            kept = scope.Keep(Tensors.Full([2], 4.0));
            Assert.Null(kept.Owner);
            Assert.Equal(0, scope.Count);
        }
        Assert.False(kept.IsDisposed);
        Assert.Equal([4f, 4f], kept.ToArray<float>());
        Assert.Equal(baseline + 1, Tensor.LiveCount);
        kept.Dispose();
        Assert.Equal(baseline, Tensor.LiveCount);
    }

    [Fact]
    public void Keep_of_several_tensors_and_of_a_tensor_the_scope_does_not_own()
    {
        using var outer = TensorScope.Enter();
        var outsider = Tensors.Ones([1]);
        Tensor a, b;
        using (var inner = TensorScope.Enter())
        {
            a = Tensors.Ones([1]);
            b = Tensors.Zeros([1]);
            inner.Keep(a, b);
            Assert.Same(outsider, inner.Keep(outsider));          // not the inner scope's: nothing changes
            Assert.Same(outer, outsider.Owner);
        }
        Assert.False(a.IsDisposed);
        Assert.False(b.IsDisposed);
        Assert.Same(outer, a.Owner);
        Assert.Equal(3, outer.Count);
    }

    [Fact]
    public void DetachFromScope_makes_the_caller_the_owner()
    {
        var baseline = SettledLiveCount();
        Tensor parameter;
        using (var scope = TensorScope.Enter())
        {
            parameter = Tensors.Zeros([3]).DetachFromScope();
            Assert.Null(parameter.Owner);
            Assert.Equal(0, scope.Count);
        }
        Assert.False(parameter.IsDisposed);
        Assert.Equal(baseline + 1, Tensor.LiveCount);
        parameter.Dispose();
        Assert.Equal(baseline, Tensor.LiveCount);
    }

    [Fact]
    public void Nested_scopes_dispose_only_their_own_tensors()
    {
        using var outer = TensorScope.Enter();
        var a = Tensors.Ones([1]);
        Tensor b;
        using (var inner = TensorScope.Enter())
        {
            Assert.Same(inner, TensorScope.Current);
            b = a * 2;
            Assert.Same(inner, b.Owner);
            Assert.Same(outer, a.Owner);
        }
        Assert.Same(outer, TensorScope.Current);
        Assert.True(b.IsDisposed);
        Assert.False(a.IsDisposed);
        Assert.Equal(1.0, a.ToDouble());
    }

    [Fact]
    public void Disposing_scopes_out_of_order_throws_InvalidOperationException()
    {
        var outer = TensorScope.Enter();
        var t = Tensors.Ones([1]);
        var inner = TensorScope.Enter();
        var u = Tensors.Ones([1]);
        Assert.Throws<InvalidOperationException>(() => outer.Dispose());
        Assert.Same(inner, TensorScope.Current);
        Assert.False(t.IsDisposed);                               // the failed Dispose freed nothing
        inner.Dispose();
        outer.Dispose();
        Assert.True(t.IsDisposed);
        Assert.True(u.IsDisposed);
        Assert.Null(TensorScope.Current);
    }

    [Fact]
    public void Disposing_a_scope_from_another_thread_throws_InvalidOperationException()
    {
        var scope = TensorScope.Enter();
        Exception? error = null;
        var thread = new Thread(() =>
        {
            try { scope.Dispose(); }
            catch (Exception e) { error = e; }
        });
        thread.Start();
        thread.Join();
        Assert.IsType<InvalidOperationException>(error);
        scope.Dispose();
        Assert.Null(TensorScope.Current);
    }

    [Fact]
    public void Disposing_a_tensor_explicitly_inside_a_scope_is_not_a_double_free()
    {
        var baseline = SettledLiveCount();
        using (var scope = TensorScope.Enter())
        {
            var t = Tensors.Ones([4]);
            var u = t * 2;
            t.Dispose();
            Assert.Equal(1, scope.Count);
            Assert.Equal(baseline + 1, Tensor.LiveCount);
            Assert.Equal([2f, 2f, 2f, 2f], u.ToArray<float>());
        }
        Assert.Equal(baseline, Tensor.LiveCount);
        var scope2 = TensorScope.Enter();
        scope2.Dispose();
        scope2.Dispose();                                         // disposing a scope twice is harmless
        Assert.Null(TensorScope.Current);
    }

    [Fact]
    public void Scopes_are_per_thread()
    {
        using var scope = TensorScope.Enter();
        Tensor? fromThread = null;
        TensorScope? currentThere = scope;
        var thread = new Thread(() =>
        {
            currentThere = TensorScope.Current;
            fromThread = Tensors.Ones([1]);
        });
        thread.Start();
        thread.Join();
        Assert.Null(currentThere);
        Assert.NotNull(fromThread);
        Assert.Null(fromThread.Owner);
        Assert.Equal(0, scope.Count);
        fromThread.Dispose();
    }

    [Fact]
    public void An_alias_is_a_separate_handle_to_the_same_tensor()
    {
        using var scope = TensorScope.Enter();
        var t = Tensors.Ones([2]);
        var live = SettledLiveCount();
        var alias = t.Alias();
        Assert.Equal(live + 1, Tensor.LiveCount);
        Assert.Equal(t.DataPointer, alias.DataPointer);
        alias.Dispose();
        Assert.Equal(live, Tensor.LiveCount);
        Assert.Equal([1f, 1f], t.ToArray<float>());
    }
}

namespace Runner.Torch.Tests;

public sealed class ShapeTests
{
    private static float[] Range(int n) => Enumerable.Range(0, n).Select(i => (float)i).ToArray();

    [Fact]
    public void View_and_Reshape_change_the_shape_and_infer_minus_one()
    {
        using var scope = TensorScope.Enter();
        var x = Tensors.Arange(6);
        var v = x.View(2, 3);
        Assert.Equal([2L, 3L], v.Shape);
        Assert.Equal([3L, 2L], x.View(-1, 2).Shape);
        Assert.Equal([0L, 1, 2, 3, 4, 5], v.ToArray<long>());
        Assert.Equal([1L, 6L], x.Reshape(1, -1).Shape);
        Assert.Equal(x.DataPointer, v.DataPointer);
        Assert.Throws<TorchException>(() => x.View(4, 2));
    }

    [Fact]
    public void Shape_properties_report_sizes_strides_and_element_count()
    {
        using var scope = TensorScope.Enter();
        var x = Tensors.Zeros([2, 3, 4]);
        Assert.Equal(3, x.Dim);
        Assert.Equal(24, x.NumberOfElements);
        Assert.Equal(4, x.Size(-1));
        Assert.Equal(2, x.Size(0));
        Assert.Equal([12L, 4L, 1L], x.Strides);
        Assert.Throws<ArgumentOutOfRangeException>(() => x.Size(3));
        Assert.Throws<ArgumentOutOfRangeException>(() => x.Size(-4));
        var shape = x.Shape;
        shape[0] = 99;                                   // a copy: the tensor is unaffected
        Assert.Equal([2L, 3L, 4L], x.Shape);
    }

    [Fact]
    public void Transpose_and_T_swap_dimensions_as_a_non_contiguous_view()
    {
        using var scope = TensorScope.Enter();
        var x = Tensors.From(new[] { 1f, 2f, 3f, 4f, 5f, 6f }, 2, 3);
        var t = x.T;
        Assert.Equal([3L, 2L], t.Shape);
        Assert.Equal([1f, 4f, 2f, 5f, 3f, 6f], t.ToArray<float>());
        Assert.Equal([1L, 3L], t.Strides);
        Assert.False(t.IsContiguous);
        Assert.Equal(x.DataPointer, t.DataPointer);
        var c = t.Contiguous();
        Assert.True(c.IsContiguous);
        Assert.Equal([2L, 1L], c.Strides);
        Assert.NotEqual(x.DataPointer, c.DataPointer);
        Assert.Equal([1f, 4f, 2f, 5f, 3f, 6f], c.ToArray<float>());
        Assert.True(x.IsContiguous);
        Assert.Equal(x.DataPointer, x.Contiguous().DataPointer);           // already contiguous: same storage

        var y = Tensors.From(Range(24), 2, 3, 4);
        Assert.Equal([4L, 3L, 2L], y.Transpose(0, 2).Shape);
        Assert.Equal([2L, 4L, 3L], y.Transpose(-1, -2).Shape);
    }

    [Fact]
    public void Permute_reorders_dimensions_moving_each_element_accordingly()
    {
        using var scope = TensorScope.Enter();
        var x = Tensors.From(Range(24), 2, 3, 4);
        var p = x.Permute(2, 0, 1);
        Assert.Equal([4L, 2L, 3L], p.Shape);
        var values = p.ToArray<float>();
        for (var k = 0; k < 4; k++)
            for (var i = 0; i < 2; i++)
                for (var j = 0; j < 3; j++)
                    Assert.Equal(i * 12 + j * 4 + k, values[k * 6 + i * 3 + j]);
    }

    [Fact]
    public void Narrow_Slice_and_Select_cut_views()
    {
        using var scope = TensorScope.Enter();
        var x = Tensors.From(Range(12), 3, 4);
        Assert.Equal([1f, 2f, 5f, 6f, 9f, 10f], x.Narrow(1, 1, 2).ToArray<float>());
        Assert.Equal([4f, 5f, 6f, 7f], x.Narrow(0, 1, 1).ToArray<float>());
        var a = Tensors.From(Range(8));
        Assert.Equal([1f, 3f, 5f], a.Slice(0, 1, 6, 2).ToArray<float>());
        Assert.Equal([5f, 6f, 7f], a.Slice(0, -3, 8).ToArray<float>());
        Assert.Equal([0f, 3f, 6f], a.Slice(0, 0, 8, 3).ToArray<float>());
        Assert.Equal([0f, 2f, 8f, 10f], x.Slice(0, 0, 3, 2).Slice(1, 0, 4, 2).ToArray<float>());
        var row = x.Select(0, 1);
        Assert.Equal([4L], row.Shape);
        Assert.Equal([4f, 5f, 6f, 7f], row.ToArray<float>());
        Assert.Equal([3f, 7f, 11f], x.Select(1, -1).ToArray<float>());
        Assert.Throws<TorchException>(() => x.Narrow(1, 3, 2));
    }

    [Fact]
    public void Squeeze_and_Unsqueeze_remove_and_insert_size_one_dimensions()
    {
        using var scope = TensorScope.Enter();
        var x = Tensors.Zeros([1, 3, 1]);
        Assert.Equal([3L], x.Squeeze().Shape);
        Assert.Equal([3L, 1L], x.Squeeze(0).Shape);
        Assert.Equal([1L, 3L, 1L], x.Squeeze(1).Shape);       // size 3: kept
        Assert.Equal([1L, 3L], x.Squeeze(-1).Shape);
        var v = Tensors.Zeros([3]);
        Assert.Equal([1L, 3L], v.Unsqueeze(0).Shape);
        Assert.Equal([3L, 1L], v.Unsqueeze(-1).Shape);
        Assert.Equal([3L, 1L], v.Unsqueeze(1).Shape);
    }

    [Fact]
    public void Flatten_merges_the_given_dimension_range()
    {
        using var scope = TensorScope.Enter();
        var x = Tensors.From(Range(24), 2, 3, 4);
        Assert.Equal([24L], x.Flatten().Shape);
        Assert.Equal([2L, 12L], x.Flatten(1).Shape);
        Assert.Equal([6L, 4L], x.Flatten(0, 1).Shape);
        Assert.Equal(Range(24), x.Flatten().ToArray<float>());
    }

    [Fact]
    public void Expand_broadcasts_without_copying_and_Repeat_tiles_with_a_copy()
    {
        using var scope = TensorScope.Enter();
        var col = Tensors.From(new[] { 1f, 2f, 3f }, 3, 1);
        var e = col.Expand(3, 4);
        Assert.Equal([3L, 4L], e.Shape);
        Assert.Equal([1L, 0L], e.Strides);
        Assert.Equal(col.DataPointer, e.DataPointer);
        Assert.Equal([1f, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3], e.ToArray<float>());
        Assert.Equal([2L, 3L, 5L], col.Expand(2, -1, 5).Shape);

        var row = Tensors.From(new[] { 1f, 2f }, 1, 2);
        var r = row.Repeat(2, 3);
        Assert.Equal([2L, 6L], r.Shape);
        Assert.Equal([1f, 2, 1, 2, 1, 2, 1, 2, 1, 2, 1, 2], r.ToArray<float>());
        Assert.NotEqual(row.DataPointer, r.DataPointer);
    }

    [Fact]
    public void Tril_and_Triu_keep_the_lower_and_upper_triangles()
    {
        using var scope = TensorScope.Enter();
        var x = Tensors.From(Range(9), 3, 3) + 1;
        Assert.Equal([1f, 0, 0, 4, 5, 0, 7, 8, 9], x.Tril().ToArray<float>());
        Assert.Equal([0f, 0, 0, 4, 0, 0, 7, 8, 0], x.Tril(-1).ToArray<float>());
        Assert.Equal([1f, 2, 3, 0, 5, 6, 0, 0, 9], x.Triu().ToArray<float>());
        Assert.Equal([0f, 2, 3, 0, 0, 6, 0, 0, 0], x.Triu(1).ToArray<float>());
        Assert.Equal([1f, 2, 0, 4, 5, 6, 7, 8, 9], x.Tril(1).ToArray<float>());
    }

    [Fact]
    public void Split_and_Chunk_cut_into_pieces_with_a_shorter_last_one()
    {
        using var scope = TensorScope.Enter();
        var a = Tensors.From(Range(5));
        var parts = a.Split(2);
        Assert.Equal(3, parts.Length);
        Assert.Equal([0f, 1f], parts[0].ToArray<float>());
        Assert.Equal([2f, 3f], parts[1].ToArray<float>());
        Assert.Equal([4f], parts[2].ToArray<float>());
        Assert.Equal(a.DataPointer, parts[0].DataPointer);       // views

        var chunks = Tensors.From(Range(6)).Chunk(3);
        Assert.Equal([[0f, 1f], [2f, 3f], [4f, 5f]], chunks.Select(c => c.ToArray<float>()).ToArray());
        Assert.Equal([3L, 2L], a.Chunk(2).Select(c => c.Size(0)).ToArray());

        var m = Tensors.From(Range(12), 2, 6);
        var cols = m.Split(4, dim: 1);
        Assert.Equal([2L, 4L], cols[0].Shape);
        Assert.Equal([2L, 2L], cols[1].Shape);
        Assert.Equal([4f, 5f, 10f, 11f], cols[1].ToArray<float>());
        Assert.Throws<ArgumentOutOfRangeException>(() => a.Split(0));
    }

    [Fact]
    public void Cat_joins_along_an_existing_dimension_and_Stack_along_a_new_one()
    {
        using var scope = TensorScope.Enter();
        var a = Tensors.From(new[] { 1f, 2f, 3f, 4f }, 2, 2);
        var b = Tensors.From(new[] { 5f, 6f }, 1, 2);
        var rows = Tensors.Cat([a, b]);
        Assert.Equal([3L, 2L], rows.Shape);
        Assert.Equal([1f, 2f, 3f, 4f, 5f, 6f], rows.ToArray<float>());
        var cols = Tensors.Cat([a, b.T.Expand(2, 1) * 0 + 9], 1);
        Assert.Equal([2L, 3L], cols.Shape);
        Assert.Equal([1f, 2f, 9f, 3f, 4f, 9f], cols.ToArray<float>());

        var x = Tensors.From(new[] { 1f, 2f });
        var y = Tensors.From(new[] { 3f, 4f });
        var s0 = Tensors.Stack([x, y]);
        Assert.Equal([2L, 2L], s0.Shape);
        Assert.Equal([1f, 2f, 3f, 4f], s0.ToArray<float>());
        var s1 = Tensors.Stack([x, y], 1);
        Assert.Equal([1f, 3f, 2f, 4f], s1.ToArray<float>());
        Assert.Throws<TorchException>(() => Tensors.Stack([x, Tensors.Ones([3])]));
    }

    [Fact]
    public void Writes_through_views_are_visible_in_the_base_tensor()
    {
        using var scope = TensorScope.Enter();
        var x = Tensors.Zeros([2, 3]);
        x.Select(0, 1).Fill_(7);
        Assert.Equal([0f, 0, 0, 7, 7, 7], x.ToArray<float>());
        x.Narrow(1, 0, 1).Fill_(-1);
        Assert.Equal([-1f, 0, 0, -1, 7, 7], x.ToArray<float>());
        x.View(6).Narrow(0, 2, 1).Add_(5);
        Assert.Equal([-1f, 0, 5, -1, 7, 7], x.ToArray<float>());
        x.T.Select(0, 1).Mul_(3);                                 // column 1
        Assert.Equal([-1f, 0, 5, -1, 21, 7], x.ToArray<float>());
        x.Slice(1, 0, 3, 2).Zero_();                               // columns 0 and 2
        Assert.Equal([0f, 0, 0, 0, 21, 0], x.ToArray<float>());
    }

    [Fact]
    public void View_of_a_non_contiguous_tensor_throws_TorchException_while_Reshape_copies()
    {
        using var scope = TensorScope.Enter();
        var t = Tensors.From(Range(6), 2, 3).T;
        var e = Assert.Throws<TorchException>(() => t.View(6));
        Assert.Equal("view", e.Operation);
        Assert.Contains("view size is not compatible", e.NativeMessage);
        Assert.DoesNotContain("Exception raised from", e.Message);
        var r = t.Reshape(6);
        Assert.Equal([0f, 3f, 1f, 4f, 2f, 5f], r.ToArray<float>());
        Assert.NotEqual(t.DataPointer, r.DataPointer);
    }
}

using static Runner.Torch.Tests.Approx;

namespace Runner.Torch.Tests;

public sealed class IndexingTests
{
    [Theory]
    [MemberData(nameof(Devices.All), MemberType = typeof(Devices))]
    public void TopK_returns_the_largest_or_smallest_values_with_their_indices(string deviceName)
    {
        var device = Devices.Use(deviceName);
        using var scope = TensorScope.Enter();
        var x = Tensors.From(new[] { 1f, 5f, 3f, 9f, 7f }).To(device);
        var (values, indices) = x.TopK(2);
        Assert.Equal([9f, 7f], values.Cpu().ToArray<float>());
        Assert.Equal([3L, 4L], indices.Cpu().ToArray<long>());
        var (small, smallIdx) = x.TopK(3, largest: false);
        Assert.Equal([1f, 3f, 5f], small.Cpu().ToArray<float>());
        Assert.Equal([0L, 2L, 1L], smallIdx.Cpu().ToArray<long>());

        var m = Tensors.From(new[] { 4f, 1f, 3f, 0f, 8f, 2f }, 2, 3).To(device);
        var (rowTop, rowIdx) = m.TopK(1, dim: 1);
        Assert.Equal([2L, 1L], rowTop.Shape);
        Assert.Equal([4f, 8f], rowTop.Cpu().ToArray<float>());
        Assert.Equal([0L, 1L], rowIdx.Cpu().ToArray<long>());
        Assert.Throws<TorchException>(() => x.TopK(6));
    }

    [Theory]
    [MemberData(nameof(Devices.All), MemberType = typeof(Devices))]
    public void Sort_orders_values_and_returns_the_permutation(string deviceName)
    {
        var device = Devices.Use(deviceName);
        using var scope = TensorScope.Enter();
        var x = Tensors.From(new[] { 3f, 1f, 2f }).To(device);
        var (asc, ascIdx) = x.Sort();
        Assert.Equal([1f, 2f, 3f], asc.Cpu().ToArray<float>());
        Assert.Equal([1L, 2L, 0L], ascIdx.Cpu().ToArray<long>());
        var (desc, descIdx) = x.Sort(descending: true);
        Assert.Equal([3f, 2f, 1f], desc.Cpu().ToArray<float>());
        Assert.Equal([0L, 2L, 1L], descIdx.Cpu().ToArray<long>());
        Assert.Equal(asc.Cpu().ToArray<float>(), x.Gather(0, ascIdx).Cpu().ToArray<float>());
    }

    [Theory]
    [MemberData(nameof(Devices.All), MemberType = typeof(Devices))]
    public void Stable_sort_keeps_equal_keys_in_their_original_order(string deviceName)
    {
        var device = Devices.Use(deviceName);
        using var scope = TensorScope.Enter();
        // long enough that an unstable algorithm would be free to reorder ties
        var keys = Enumerable.Range(0, 64).Select(i => (float)(i % 3)).ToArray();
        var x = Tensors.From(keys).To(device);
        var (_, idx) = x.Sort(stable: true);
        var expected = Enumerable.Range(0, 64).OrderBy(i => keys[i]).Select(i => (long)i).ToArray(); // LINQ OrderBy is stable
        Assert.Equal(expected, idx.Cpu().ToArray<long>());
        var (_, descIdx) = x.Sort(descending: true, stable: true);
        var expectedDesc = Enumerable.Range(0, 64).OrderByDescending(i => keys[i]).Select(i => (long)i).ToArray();
        Assert.Equal(expectedDesc, descIdx.Cpu().ToArray<long>());
    }

    [Theory]
    [MemberData(nameof(Devices.All), MemberType = typeof(Devices))]
    public void Gather_picks_elements_by_index_along_a_dimension(string deviceName)
    {
        var device = Devices.Use(deviceName);
        using var scope = TensorScope.Enter();
        var x = Tensors.From(new[] { 1f, 2f, 3f, 4f }, 2, 2).To(device);
        var index = Tensors.From(new long[] { 0, 0, 1, 0 }, 2, 2).To(device);
        Assert.Equal([1f, 1f, 4f, 3f], x.Gather(1, index).Cpu().ToArray<float>());
        Assert.Equal([1f, 2f, 3f, 2f], x.Gather(0, index).Cpu().ToArray<float>());
        var logits = Tensors.From(new[] { 0.1f, 0.7f, 0.2f, 0.5f, 0.3f, 0.2f }, 2, 3).To(device);
        var targets = Tensors.From(new long[] { 1, 0 }, 2, 1).To(device);
        Assert.Equal([0.7f, 0.5f], logits.Gather(1, targets).Cpu().ToArray<float>());
    }

    [Theory]
    [MemberData(nameof(Devices.All), MemberType = typeof(Devices))]
    public void Scatter_writes_source_values_at_the_indices_and_leaves_the_input_alone(string deviceName)
    {
        var device = Devices.Use(deviceName);
        using var scope = TensorScope.Enter();
        var x = Tensors.Zeros([2, 3], device: device);
        var index = Tensors.From(new long[] { 2, 0, 1, 2 }, 2, 2).To(device);
        var source = Tensors.From(new[] { 10f, 20f, 30f, 40f }, 2, 2).To(device);
        Assert.Equal([20f, 0f, 10f, 0f, 30f, 40f], x.Scatter(1, index, source).Cpu().ToArray<float>());
        Assert.All(x.Cpu().ToArray<float>(), v => Assert.Equal(0f, v));

        Assert.Same(x, x.Scatter_(1, index, source));
        Assert.Equal([20f, 0f, 10f, 0f, 30f, 40f], x.Cpu().ToArray<float>());
    }

    [Theory]
    [MemberData(nameof(Devices.All), MemberType = typeof(Devices))]
    public void ScatterAdd_accumulates_repeated_indices(string deviceName)
    {
        var device = Devices.Use(deviceName);
        using var scope = TensorScope.Enter();
        var x = Tensors.Ones([5], device: device);
        var index = Tensors.From(new long[] { 0, 1, 0, 3, 0 }).To(device);
        var source = Tensors.From(new[] { 1f, 2f, 3f, 4f, 5f }).To(device);
        Assert.Equal([10f, 3f, 1f, 5f, 1f], x.ScatterAdd(0, index, source).Cpu().ToArray<float>());
        Assert.All(x.Cpu().ToArray<float>(), v => Assert.Equal(1f, v));
        Assert.Same(x, x.ScatterAdd_(0, index, source));
        Assert.Same(x, x.ScatterAdd_(0, index, source));
        Assert.Equal([19f, 5f, 1f, 9f, 1f], x.Cpu().ToArray<float>());
    }

    [Theory]
    [MemberData(nameof(Devices.All), MemberType = typeof(Devices))]
    public void IndexSelect_takes_whole_slices_in_index_order(string deviceName)
    {
        var device = Devices.Use(deviceName);
        using var scope = TensorScope.Enter();
        var x = Tensors.From(new[] { 1f, 2f, 3f, 4f, 5f, 6f }, 3, 2).To(device);
        var rows = x.IndexSelect(0, Tensors.From(new long[] { 2, 0, 2 }).To(device));
        Assert.Equal([3L, 2L], rows.Shape);
        Assert.Equal([5f, 6f, 1f, 2f, 5f, 6f], rows.Cpu().ToArray<float>());
        Assert.Equal([2f, 4f, 6f], x.IndexSelect(1, Tensors.From(new long[] { 1 }).To(device)).Cpu().ToArray<float>());
        // on the CPU only: on CUDA a bad index is a device-side assert that poisons the context
        Assert.Throws<TorchException>(() => x.Cpu().IndexSelect(0, Tensors.From(new long[] { 3 })));
    }

    [Theory]
    [MemberData(nameof(Devices.All), MemberType = typeof(Devices))]
    public void IndexAdd_adds_scaled_source_rows_at_the_indices_in_place(string deviceName)
    {
        var device = Devices.Use(deviceName);
        using var scope = TensorScope.Enter();
        var x = Tensors.Zeros([3, 2], device: device);
        var index = Tensors.From(new long[] { 0, 2, 0 }).To(device);
        var source = Tensors.From(new[] { 1f, 1f, 2f, 2f, 3f, 3f }, 3, 2).To(device);
        Assert.Same(x, x.IndexAdd_(0, index, source, alpha: 2));
        Assert.Equal([8f, 8f, 0f, 0f, 4f, 4f], x.Cpu().ToArray<float>());
        x.IndexAdd_(0, index, source);
        Assert.Equal([12f, 12f, 0f, 0f, 6f, 6f], x.Cpu().ToArray<float>());
    }

    [Theory]
    [MemberData(nameof(Devices.All), MemberType = typeof(Devices))]
    public void Embedding_looks_up_a_row_per_id_keeping_the_id_shape(string deviceName)
    {
        var device = Devices.Use(deviceName);
        using var scope = TensorScope.Enter();
        var weight = Tensors.From(new[] { 0f, 0.5f, 1f, 1.5f, 2f, 2.5f, 3f, 3.5f }, 4, 2).To(device);
        var ids = Tensors.From(new long[] { 3, 0, 1, 1 }, 2, 2).To(device);
        var e = Functional.Embedding(weight, ids);
        Assert.Equal([2L, 2L, 2L], e.Shape);
        Assert.Equal([3f, 3.5f, 0f, 0.5f, 1f, 1.5f, 1f, 1.5f], e.Cpu().ToArray<float>());
    }

    [Theory]
    [MemberData(nameof(Devices.All), MemberType = typeof(Devices))]
    public void EmbeddingBag_with_per_sample_weights_equals_the_dense_weighted_sum_of_rows(string deviceName)
    {
        var device = Devices.Use(deviceName);
        using var scope = TensorScope.Enter();
        using var g = new Generator(21);
        var weight = Tensors.Randn([6, 4], g, DType.Float64, device);
        var ids = Tensors.From(new long[] { 0, 2, 4, 1, 1, 5 }, 2, 3).To(device);
        var psw = Tensors.From(new[] { 0.5, -1, 2, 1, 1, 0.25 }, 2, 3).To(device);

        var bag = Functional.EmbeddingBag(weight, ids, psw);
        Assert.Equal([2L, 4L], bag.Shape);

        // independent: rows read back and combined in C#
        var w = weight.Cpu().ToArray<double>();
        long[] idv = [0, 2, 4, 1, 1, 5];
        double[] pw = [0.5, -1, 2, 1, 1, 0.25];
        var expected = new double[8];
        for (var n = 0; n < 2; n++)
            for (var j = 0; j < 3; j++)
                for (var d = 0; d < 4; d++)
                    expected[n * 4 + d] += pw[n * 3 + j] * w[idv[n * 3 + j] * 4 + d];
        Equal(expected, bag, 1e-12);

        var dense = (Functional.Embedding(weight, ids) * psw.Unsqueeze(-1)).Sum(1);
        Assert.True(bag.AllClose(dense, 1e-12, 1e-12));
    }

    [Fact]
    public void EmbeddingBag_mean_and_max_modes_reduce_each_bag()
    {
        using var scope = TensorScope.Enter();
        var weight = Tensors.From(new[] { 1f, 10f, 2f, 20f, 4f, -40f }, 3, 2);
        var ids = Tensors.From(new long[] { 0, 1, 2, 2 }, 2, 2);
        Assert.Equal([1.5f, 15f, 4f, -40f], Functional.EmbeddingBag(weight, ids, mode: BagMode.Mean).ToArray<float>());
        Assert.Equal([2f, 20f, 4f, -40f], Functional.EmbeddingBag(weight, ids, mode: BagMode.Max).ToArray<float>());
        Assert.Equal([3f, 30f, 8f, -80f], Functional.EmbeddingBag(weight, ids).ToArray<float>());
    }

    [Fact]
    public void EmbeddingBag_with_one_dimensional_ids_throws_TorchException()
    {
        using var scope = TensorScope.Enter();
        var e = Assert.Throws<TorchException>(() => Functional.EmbeddingBag(Tensors.Ones([3, 2]), Tensors.From(new long[] { 0, 1 })));
        Assert.Equal("embedding_bag", e.Operation);
        Assert.Contains("[n, bag]", e.NativeMessage);
    }
}

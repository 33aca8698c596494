using static Runner.Torch.Tests.Approx;

namespace Runner.Torch.Tests;

public sealed class LinearAlgebraTests
{
    // A = [[1,2],[3,4]], B = [[5,6],[7,8]]: A @ B = [[19,22],[43,50]]
    private static Tensor A(Device d) => Tensors.From(new[] { 1f, 2f, 3f, 4f }, 2, 2).To(d);
    private static Tensor B(Device d) => Tensors.From(new[] { 5f, 6f, 7f, 8f }, 2, 2).To(d);

    [Theory]
    [MemberData(nameof(Devices.All), MemberType = typeof(Devices))]
    public void Matmul_of_known_matrices_gives_the_hand_computed_product(string deviceName)
    {
        var device = Devices.Use(deviceName);
        using var scope = TensorScope.Enter();
        Assert.Equal([19f, 22f, 43f, 50f], A(device).Matmul(B(device)).Cpu().ToArray<float>());
        Assert.Equal([23f, 34f, 31f, 46f], Tensors.Matmul(B(device), A(device)).Cpu().ToArray<float>());

        // [2,3] @ [3,2]
        var x = Tensors.From(new[] { 1f, 0f, 2f, -1f, 3f, 1f }, 2, 3).To(device);
        var y = Tensors.From(new[] { 3f, 1f, 2f, 1f, 1f, 0f }, 3, 2).To(device);
        var p = x.Matmul(y);
        Assert.Equal([2L, 2L], p.Shape);
        Assert.Equal([5f, 1f, 4f, 2f], p.Cpu().ToArray<float>());

        // matrix @ vector
        var mv = x.Matmul(Tensors.From(new[] { 1f, 1f, 1f }).To(device));
        Assert.Equal([2L], mv.Shape);
        Assert.Equal([3f, 3f], mv.Cpu().ToArray<float>());
    }

    [Theory]
    [MemberData(nameof(Devices.All), MemberType = typeof(Devices))]
    public void Matmul_broadcasts_a_matrix_over_a_batch(string deviceName)
    {
        var device = Devices.Use(deviceName);
        using var scope = TensorScope.Enter();
        var batch = Tensors.Stack([A(device), A(device) * 2]);        // [2,2,2]
        var r = batch.Matmul(B(device));
        Assert.Equal([2L, 2L, 2L], r.Shape);
        Assert.Equal([19f, 22f, 43f, 50f, 38f, 44f, 86f, 100f], r.Cpu().ToArray<float>());
    }

    [Theory]
    [MemberData(nameof(Devices.All), MemberType = typeof(Devices))]
    public void Mm_and_Bmm_give_the_hand_computed_products(string deviceName)
    {
        var device = Devices.Use(deviceName);
        using var scope = TensorScope.Enter();
        Assert.Equal([19f, 22f, 43f, 50f], A(device).Mm(B(device)).Cpu().ToArray<float>());
        var left = Tensors.Stack([A(device), B(device)]);
        var right = Tensors.Stack([B(device), A(device)]);
        var r = left.Bmm(right);
        Assert.Equal([2L, 2L, 2L], r.Shape);
        Assert.Equal([19f, 22f, 43f, 50f, 23f, 34f, 31f, 46f], r.Cpu().ToArray<float>());
        Assert.Throws<TorchException>(() => A(device).Bmm(B(device)));   // bmm wants 3-d
    }

    [Theory]
    [MemberData(nameof(Devices.All), MemberType = typeof(Devices))]
    public void Addmm_scales_the_input_by_beta_and_the_product_by_alpha(string deviceName)
    {
        var device = Devices.Use(deviceName);
        using var scope = TensorScope.Enter();
        var c = Tensors.From(new[] { 1f, -1f, 2f, 0f }, 2, 2).To(device);
        var r = c.Addmm(A(device), B(device), beta: 2, alpha: 0.5);
        Assert.Equal([2 + 9.5f, -2 + 11f, 4 + 21.5f, 25f], r.Cpu().ToArray<float>());
        Assert.Equal([20f, 21f, 45f, 50f], c.Addmm(A(device), B(device)).Cpu().ToArray<float>());
        var bias = Tensors.From(new[] { 100f, 200f }).To(device);           // broadcast over rows
        Assert.Equal([119f, 222f, 143f, 250f], bias.Addmm(A(device), B(device)).Cpu().ToArray<float>());
    }

    [Fact]
    public void MatmulInto_writes_the_product_into_the_given_tensor()
    {
        using var scope = TensorScope.Enter();
        var output = Tensors.Zeros([2, 2]);
        var storage = output.DataPointer;
        Assert.Same(output, output.MatmulInto(A(Device.Cpu), B(Device.Cpu)));
        Assert.Equal([19f, 22f, 43f, 50f], output.ToArray<float>());
        Assert.Equal(storage, output.DataPointer);
    }

    [Fact]
    public void MatmulInto_a_tensor_of_another_shape_resizes_it_and_Shape_reports_the_new_size()
    {
        using var scope = TensorScope.Enter();
        var output = Tensors.Empty([0]);
        Assert.Equal([0L], output.Shape);                                 // read (and cached) before the call
        output.MatmulInto(A(Device.Cpu), B(Device.Cpu));
        Assert.Equal([2L, 2L], output.Shape);
        Assert.Equal(4, output.NumberOfElements);
        Assert.Equal([19f, 22f, 43f, 50f], output.ToArray<float>());
    }

    [Theory]
    [MemberData(nameof(Devices.All), MemberType = typeof(Devices))]
    public void Linear_with_and_without_bias_is_x_times_W_transposed_plus_b(string deviceName)
    {
        var device = Devices.Use(deviceName);
        using var scope = TensorScope.Enter();
        var x = Tensors.From(new[] { 1f, 2f, 3f, -1f, 0f, 1f }, 2, 3).To(device);          // [2, in=3]
        var w = Tensors.From(new[] { 1f, 0f, 0f, 0f, 1f, 1f, 1f, -1f, 2f, 0.5f, 0.5f, 0.5f }, 4, 3).To(device); // [out=4, in=3]
        var b = Tensors.From(new[] { 10f, 20f, 30f, 40f }).To(device);
        // x W^T: row0 = [1, 5, 5, 3], row1 = [-1, 1, 1, 0]
        var noBias = Functional.Linear(x, w);
        Assert.Equal([2L, 4L], noBias.Shape);
        Assert.Equal([1f, 5f, 5f, 3f, -1f, 1f, 1f, 0f], noBias.Cpu().ToArray<float>());
        Assert.Equal([11f, 25f, 35f, 43f, 9f, 21f, 31f, 40f], Functional.Linear(x, w, b).Cpu().ToArray<float>());

        var batched = Functional.Linear(x.Unsqueeze(0).Expand(3, 2, 3), w, b);            // leading dims kept
        Assert.Equal([3L, 2L, 4L], batched.Shape);
    }

    [Fact]
    public void Matmul_of_random_matrices_agrees_with_a_CSharp_triple_loop()
    {
        using var scope = TensorScope.Enter();
        using var g = new Generator(8);
        const int n = 5, k = 7, m = 3;
        var a = Tensors.Randn([n, k], g, DType.Float64);
        var b = Tensors.Randn([k, m], g, DType.Float64);
        var av = a.ToArray<double>();
        var bv = b.ToArray<double>();
        var expected = new double[n * m];
        for (var i = 0; i < n; i++)
            for (var j = 0; j < m; j++)
                for (var t = 0; t < k; t++)
                    expected[i * m + j] += av[i * k + t] * bv[t * m + j];
        Equal(expected, a.Matmul(b), 1e-12);
    }

    [Fact]
    public void Shape_mismatch_in_matmul_throws_TorchException_with_libtorchs_message_and_no_backtrace()
    {
        using var scope = TensorScope.Enter();
        var x = Tensors.Ones([2, 3]);
        var e = Assert.Throws<TorchException>(() => x.Matmul(x));
        Assert.Equal("matmul", e.Operation);
        Assert.Contains("cannot be multiplied", e.NativeMessage);
        Assert.Contains("2x3", e.NativeMessage);
        Assert.StartsWith("matmul: ", e.Message);
        Assert.DoesNotContain("Exception raised from", e.Message);
        Assert.DoesNotContain("frame #", e.Message);

        Assert.Equal([6f, 6f, 6f, 6f], (x * 2).Matmul(x.T).ToArray<float>());
        Assert.Equal([19f, 22f, 43f, 50f], A(Device.Cpu).Matmul(B(Device.Cpu)).ToArray<float>());
    }
}

using System.Runtime.InteropServices;

namespace Runner.Torch;

/// <summary>
/// The exports of src/Native/runner_torch.cpp, one to one. Tensor-returning functions return 0 on
/// failure and status-returning ones -1; <see cref="Check"/> turns either into a
/// <see cref="TorchException"/> carrying libtorch's message.
/// </summary>
internal static unsafe partial class NativeMethods
{
    internal const string Lib = "runner_torch";

    // Runtime, errors, information
    [LibraryImport(Lib)] internal static partial IntPtr rt_last_error();
    [LibraryImport(Lib)] internal static partial void rt_clear_error();
    [LibraryImport(Lib)] internal static partial long rt_live_tensors();
    [LibraryImport(Lib)] internal static partial IntPtr rt_torch_version();
    [LibraryImport(Lib)] internal static partial int rt_set_num_threads(int n);
    [LibraryImport(Lib)] internal static partial int rt_get_num_threads();
    [LibraryImport(Lib)] internal static partial int rt_openblas_num_threads();
    [LibraryImport(Lib)] internal static partial IntPtr rt_torch_library_path();
    [LibraryImport(Lib)] internal static partial IntPtr rt_blas_info();
    [LibraryImport(Lib)] internal static partial IntPtr rt_build_config();
    [LibraryImport(Lib)] internal static partial int rt_cuda_is_available();
    [LibraryImport(Lib)] internal static partial int rt_cuda_device_count();
    [LibraryImport(Lib)] internal static partial IntPtr rt_cuda_device_name(int index);
    [LibraryImport(Lib)] internal static partial int rt_manual_seed(ulong seed);

    // Handles and properties
    [LibraryImport(Lib)] internal static partial void rt_free(IntPtr t);
    [LibraryImport(Lib)] internal static partial int rt_dim(TensorHandle t);
    [LibraryImport(Lib)] internal static partial int rt_sizes(TensorHandle t, long* output);
    [LibraryImport(Lib)] internal static partial int rt_strides(TensorHandle t, long* output);
    [LibraryImport(Lib)] internal static partial int rt_dtype(TensorHandle t);
    [LibraryImport(Lib)] internal static partial int rt_device(TensorHandle t, out int type, out int index);
    [LibraryImport(Lib)] internal static partial int rt_is_contiguous(TensorHandle t);
    [LibraryImport(Lib)] internal static partial IntPtr rt_data_ptr(TensorHandle t);
    [LibraryImport(Lib)] internal static partial IntPtr rt_to_string(TensorHandle t);

    // Creation and transfer
    [LibraryImport(Lib)] internal static partial IntPtr rt_empty(long* shape, int n, int dtype, int dt, int di);
    [LibraryImport(Lib)] internal static partial IntPtr rt_full(long* shape, int n, double d, long i, int kind, int dtype, int dt, int di);
    [LibraryImport(Lib)] internal static partial IntPtr rt_zeros(long* shape, int n, int dtype, int dt, int di);
    [LibraryImport(Lib)] internal static partial IntPtr rt_ones(long* shape, int n, int dtype, int dt, int di);
    [LibraryImport(Lib)] internal static partial IntPtr rt_arange(double start, double end, double step, int dtype, int dt, int di);
    [LibraryImport(Lib)] internal static partial IntPtr rt_rand(int normal, long* shape, int n, int dtype, int dt, int di, IntPtr gen);
    [LibraryImport(Lib)] internal static partial IntPtr rt_randint(long low, long high, long* shape, int n, int dtype, int dt, int di, IntPtr gen);
    [LibraryImport(Lib)] internal static partial IntPtr rt_randperm(long count, int dt, int di, IntPtr gen);
    [LibraryImport(Lib)] internal static partial IntPtr rt_from_data(void* data, long nbytes, long* shape, int n, int dtype);
    [LibraryImport(Lib)] internal static partial IntPtr rt_from_blob(void* data, long* shape, int n, int dtype, delegate* unmanaged<IntPtr, void> release, IntPtr ctx);
    [LibraryImport(Lib)] internal static partial int rt_copy_to_buffer(TensorHandle t, void* dst, long nbytes);
    [LibraryImport(Lib)] internal static partial int rt_item(TensorHandle t, out double d, out long i);
    [LibraryImport(Lib)] internal static partial IntPtr rt_to(TensorHandle t, int dtype, int dt, int di, int nonBlocking, int copy);
    [LibraryImport(Lib)] internal static partial IntPtr rt_alias(TensorHandle t);
    [LibraryImport(Lib)] internal static partial IntPtr rt_clone(TensorHandle t);
    [LibraryImport(Lib)] internal static partial IntPtr rt_detach(TensorHandle t);
    [LibraryImport(Lib)] internal static partial IntPtr rt_contiguous(TensorHandle t);
    [LibraryImport(Lib)] internal static partial IntPtr rt_like(TensorHandle t, int kind, double d, long i, int skind);

    // Generators
    [LibraryImport(Lib)] internal static partial IntPtr rt_generator_new(ulong seed);
    [LibraryImport(Lib)] internal static partial void rt_generator_free(IntPtr g);
    [LibraryImport(Lib)] internal static partial int rt_generator_seed(IntPtr g, ulong seed);
    [LibraryImport(Lib)] internal static partial IntPtr rt_generator_get_state(IntPtr g);
    [LibraryImport(Lib)] internal static partial int rt_generator_set_state(IntPtr g, TensorHandle state);

    // Elementwise
    [LibraryImport(Lib)] internal static partial IntPtr rt_unary(int op, TensorHandle a);
    [LibraryImport(Lib)] internal static partial int rt_unary_(int op, TensorHandle a);
    [LibraryImport(Lib)] internal static partial IntPtr rt_binary(int op, TensorHandle a, TensorHandle b);
    [LibraryImport(Lib)] internal static partial int rt_binary_(int op, TensorHandle a, TensorHandle b);
    [LibraryImport(Lib)] internal static partial IntPtr rt_binary_scalar(int op, TensorHandle a, double d, long i, int kind);
    [LibraryImport(Lib)] internal static partial int rt_binary_scalar_(int op, TensorHandle a, double d, long i, int kind);
    [LibraryImport(Lib)] internal static partial int rt_add_scaled_(TensorHandle a, TensorHandle b, double alpha);
    [LibraryImport(Lib)] internal static partial IntPtr rt_where(TensorHandle cond, TensorHandle a, TensorHandle b);
    [LibraryImport(Lib)] internal static partial IntPtr rt_clamp(TensorHandle a, double lo, double hi, int hasLo, int hasHi);
    [LibraryImport(Lib)] internal static partial int rt_clamp_(TensorHandle a, double lo, double hi, int hasLo, int hasHi);
    [LibraryImport(Lib)] internal static partial IntPtr rt_masked_fill(TensorHandle a, TensorHandle mask, double d, long i, int kind);
    [LibraryImport(Lib)] internal static partial int rt_masked_fill_(TensorHandle a, TensorHandle mask, double d, long i, int kind);
    [LibraryImport(Lib)] internal static partial IntPtr rt_masked_select(TensorHandle a, TensorHandle mask);
    [LibraryImport(Lib)] internal static partial int rt_copy_(TensorHandle dst, TensorHandle src);
    [LibraryImport(Lib)] internal static partial int rt_fill_(TensorHandle a, double d, long i, int kind);
    [LibraryImport(Lib)] internal static partial int rt_zero_(TensorHandle a);
    [LibraryImport(Lib)] internal static partial int rt_allclose(TensorHandle a, TensorHandle b, double rtol, double atol);
    [LibraryImport(Lib)] internal static partial int rt_equal(TensorHandle a, TensorHandle b);

    // Reductions
    [LibraryImport(Lib)] internal static partial IntPtr rt_reduce(int op, TensorHandle a, long* dims, int n, int keepdim);
    [LibraryImport(Lib)] internal static partial IntPtr rt_var(TensorHandle a, long* dims, int n, long correction, int keepdim);
    [LibraryImport(Lib)] internal static partial IntPtr rt_norm(TensorHandle a, double p, long* dims, int n, int keepdim);
    [LibraryImport(Lib)] internal static partial int rt_max_min_dim(int isMax, TensorHandle a, long dim, int keepdim, out IntPtr values, out IntPtr indices);
    [LibraryImport(Lib)] internal static partial IntPtr rt_argmax(int isMax, TensorHandle a, long dim, int hasDim, int keepdim);
    [LibraryImport(Lib)] internal static partial IntPtr rt_cumsum(TensorHandle a, long dim);

    // Linear algebra
    [LibraryImport(Lib)] internal static partial IntPtr rt_matmul(TensorHandle a, TensorHandle b);
    [LibraryImport(Lib)] internal static partial IntPtr rt_mm(TensorHandle a, TensorHandle b);
    [LibraryImport(Lib)] internal static partial IntPtr rt_bmm(TensorHandle a, TensorHandle b);
    [LibraryImport(Lib)] internal static partial int rt_matmul_out(TensorHandle output, TensorHandle a, TensorHandle b);
    [LibraryImport(Lib)] internal static partial IntPtr rt_addmm(TensorHandle c, TensorHandle a, TensorHandle b, double beta, double alpha);
    [LibraryImport(Lib)] internal static partial IntPtr rt_linear(TensorHandle x, TensorHandle w, TensorHandle b);

    // Selection and indexing
    [LibraryImport(Lib)] internal static partial int rt_topk(TensorHandle a, long k, long dim, int largest, int sorted, out IntPtr values, out IntPtr indices);
    [LibraryImport(Lib)] internal static partial int rt_sort(TensorHandle a, long dim, int descending, int stable, out IntPtr values, out IntPtr indices);
    [LibraryImport(Lib)] internal static partial IntPtr rt_gather(TensorHandle a, long dim, TensorHandle index);
    [LibraryImport(Lib)] internal static partial IntPtr rt_scatter(TensorHandle a, long dim, TensorHandle index, TensorHandle src, int mode);
    [LibraryImport(Lib)] internal static partial int rt_scatter_(TensorHandle a, long dim, TensorHandle index, TensorHandle src, int mode);
    [LibraryImport(Lib)] internal static partial IntPtr rt_index_select(TensorHandle a, long dim, TensorHandle index);
    [LibraryImport(Lib)] internal static partial int rt_index_add_(TensorHandle a, long dim, TensorHandle index, TensorHandle src, double alpha);
    [LibraryImport(Lib)] internal static partial IntPtr rt_embedding(TensorHandle weight, TensorHandle ids);
    [LibraryImport(Lib)] internal static partial IntPtr rt_embedding_bag(TensorHandle weight, TensorHandle ids, TensorHandle offsets, int mode, TensorHandle perSampleWeights);

    // Neural-network functions
    [LibraryImport(Lib)] internal static partial IntPtr rt_softmax(TensorHandle a, long dim, int log);
    [LibraryImport(Lib)] internal static partial IntPtr rt_cross_entropy(TensorHandle logits, TensorHandle target, long ignoreIndex, int reduction, double labelSmoothing);
    [LibraryImport(Lib)] internal static partial IntPtr rt_layer_norm(TensorHandle x, long* shape, int n, TensorHandle w, TensorHandle b, double eps);
    [LibraryImport(Lib)] internal static partial IntPtr rt_gelu_tanh_sigmoid(TensorHandle a);
    [LibraryImport(Lib)] internal static partial IntPtr rt_attention(TensorHandle q, TensorHandle k, TensorHandle v, int causal, double scale, TensorHandle mask);

    // Shape
    [LibraryImport(Lib)] internal static partial IntPtr rt_view(TensorHandle a, long* shape, int n);
    [LibraryImport(Lib)] internal static partial IntPtr rt_reshape(TensorHandle a, long* shape, int n);
    [LibraryImport(Lib)] internal static partial IntPtr rt_expand(TensorHandle a, long* shape, int n);
    [LibraryImport(Lib)] internal static partial IntPtr rt_permute(TensorHandle a, long* dims, int n);
    [LibraryImport(Lib)] internal static partial IntPtr rt_repeat(TensorHandle a, long* dims, int n);
    [LibraryImport(Lib)] internal static partial IntPtr rt_transpose(TensorHandle a, long d0, long d1);
    [LibraryImport(Lib)] internal static partial IntPtr rt_narrow(TensorHandle a, long dim, long start, long length);
    [LibraryImport(Lib)] internal static partial IntPtr rt_slice(TensorHandle a, long dim, long start, long end, long step);
    [LibraryImport(Lib)] internal static partial IntPtr rt_select(TensorHandle a, long dim, long index);
    [LibraryImport(Lib)] internal static partial IntPtr rt_squeeze(TensorHandle a, long dim, int all);
    [LibraryImport(Lib)] internal static partial IntPtr rt_unsqueeze(TensorHandle a, long dim);
    [LibraryImport(Lib)] internal static partial IntPtr rt_flatten(TensorHandle a, long start, long end);
    [LibraryImport(Lib)] internal static partial IntPtr rt_tril(TensorHandle a, long diagonal, int upper);
    [LibraryImport(Lib)] internal static partial IntPtr rt_cat(IntPtr* tensors, int n, long dim);
    [LibraryImport(Lib)] internal static partial IntPtr rt_stack(IntPtr* tensors, int n, long dim);

    // Autograd and autocast
    [LibraryImport(Lib)] internal static partial int rt_requires_grad(TensorHandle t);
    [LibraryImport(Lib)] internal static partial int rt_set_requires_grad(TensorHandle t, int on);
    [LibraryImport(Lib)] internal static partial int rt_is_leaf(TensorHandle t);
    [LibraryImport(Lib)] internal static partial int rt_backward(TensorHandle t, TensorHandle grad, int retainGraph);
    [LibraryImport(Lib)] internal static partial IntPtr rt_grad(TensorHandle t);
    [LibraryImport(Lib)] internal static partial int rt_set_grad(TensorHandle t, TensorHandle g);
    [LibraryImport(Lib)] internal static partial int rt_grad_enabled();
    [LibraryImport(Lib)] internal static partial void rt_set_grad_enabled(int on);
    [LibraryImport(Lib)] internal static partial int rt_autocast_push(int devtype, int dtype, out int prevEnabled, out int prevDtype);
    [LibraryImport(Lib)] internal static partial int rt_autocast_pop(int devtype, int prevEnabled, int prevDtype);
    [LibraryImport(Lib)] internal static partial int rt_autocast_enabled(int devtype);

    // Optimizer kernels
    [LibraryImport(Lib)] internal static partial int rt_adam_step(IntPtr* parameters, IntPtr* expAvg, IntPtr* expAvgSq, long* steps, int n, double lr, double beta1, double beta2, double eps, double weightDecay);
    [LibraryImport(Lib)] internal static partial int rt_clip_grad_norm(IntPtr* parameters, int n, double maxNorm, out double total);

    /// <summary>The message of the last native failure on this thread, without libtorch's C++ backtrace.</summary>
    internal static string LastError() => Marshal.PtrToStringUTF8(rt_last_error()) is { Length: > 0 } s ? s : "unknown libtorch error";

    /// <summary>Throws when a status-returning export failed.</summary>
    internal static int Check(int status, string op) => status < 0 ? throw new TorchException(op, LastError()) : status;

    /// <summary>Throws when a handle-returning export failed.</summary>
    internal static IntPtr Check(IntPtr handle, string op) => handle == IntPtr.Zero ? throw new TorchException(op, LastError()) : handle;

    internal static string Text(IntPtr p) => Marshal.PtrToStringUTF8(p) ?? "";
}

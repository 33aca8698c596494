namespace Runner.Torch;

/// <summary>
/// Disposes, when it ends, every tensor created on this thread while it was the innermost scope,
/// except those passed to <see cref="Keep(Tensor)"/>. One scope per training step keeps native
/// memory flat without the GC:
/// <code>
/// using (var scope = TensorScope.Enter())
/// {
///     var loss = Loss(model, batch);          // every intermediate belongs to the scope
///     loss.Backward();
///     lastLoss = scope.Keep(loss.Detach());   // survives; now owned by the outer scope or the caller
/// }
/// </code>
/// </summary>
public sealed class TensorScope : IDisposable
{
    [ThreadStatic] private static TensorScope? t_current;

    private readonly TensorScope? _outer;
    private readonly HashSet<Tensor> _owned = new(ReferenceEqualityComparer.Instance);
    private bool _disposed;

    private TensorScope(TensorScope? outer) => _outer = outer;

    /// <summary>Opens a scope nested in the current one (if any) on this thread.</summary>
    public static TensorScope Enter() => t_current = new TensorScope(t_current);

    /// <summary>The innermost open scope on this thread, if any.</summary>
    public static TensorScope? Current => t_current;

    /// <summary>Number of tensors this scope will dispose.</summary>
    public int Count => _owned.Count;

    /// <summary>
    /// Excludes <paramref name="tensor"/> from this scope's disposal and hands it to the outer scope,
    /// or to the caller when there is none. Returns it, for chaining.
    /// </summary>
    public Tensor Keep(Tensor tensor)
    {
        if (tensor.Owner == this)
        {
            _owned.Remove(tensor);
            tensor.Owner = null;
            _outer?.Own(tensor);
        }
        return tensor;
    }

    /// <summary>Keeps every tensor in <paramref name="tensors"/>.</summary>
    public void Keep(params Tensor[] tensors)
    {
        foreach (var t in tensors) Keep(t);
    }

    /// <summary>Registers a new tensor with the current scope of this thread.</summary>
    internal static void Adopt(Tensor t) => t_current?.Own(t);

    internal void Forget(Tensor t) => _owned.Remove(t);

    private void Own(Tensor t)
    {
        if (_disposed) return;
        _owned.Add(t);
        t.Owner = this;
    }

    /// <summary>Disposes the tensors the scope still owns and makes the outer scope current.</summary>
    public void Dispose()
    {
        if (_disposed) return;
        if (t_current != this)
            throw new InvalidOperationException("TensorScopes must be disposed in the reverse order of Enter(), on the thread that entered them");
        _disposed = true;
        t_current = _outer;
        foreach (var t in _owned)
        {
            t.Owner = null;
            t.Dispose();
        }
        _owned.Clear();
    }
}

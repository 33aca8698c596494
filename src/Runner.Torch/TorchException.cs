namespace Runner.Torch;

/// <summary>
/// A libtorch operation failed (shape mismatch, bad device, missing CUDA, ...). The message is
/// libtorch's own, without its C++ backtrace; the process carries on.
/// </summary>
public sealed class TorchException : Exception
{
    /// <summary>Creates the exception for <paramref name="operation"/> with libtorch's message.</summary>
    public TorchException(string operation, string message) : base($"{operation}: {message}")
    {
        Operation = operation;
        NativeMessage = message;
    }

    /// <summary>The binding operation that failed, e.g. "matmul".</summary>
    public string Operation { get; }

    /// <summary>libtorch's message as it gave it.</summary>
    public string NativeMessage { get; }
}

using Runner.Torch;

namespace Runner.Core.Models;

/// <summary>Thrown by <see cref="ForwardPass.Site"/> at RunTo's point, carrying the activation; never escapes RunTo.</summary>
internal sealed class ReachedHookPoint(Tensor activation) : Exception("internal: RunTo reached its hook point")
{
    public Tensor Activation { get; } = activation;
}

using Runner.Torch;

namespace Runner.Core.Models;

/// <summary>
/// Reads the activation [B, T, W] at a hook point (in the model's dtype) and returns a replacement of
/// the same shape, or null to keep it. A replacement in another floating dtype is converted to the
/// model's. Tensors the hook creates belong to the forward's scope and are freed with it.
/// </summary>
public delegate Tensor? ActivationHook(Tensor activation, HookContext context);

namespace Runner.Core.Steering;

/// <summary>How a <see cref="FeatureClamp"/> changes one SAE latent.</summary>
public enum ClampMode
{
    /// <summary>f_i := Amount.</summary>
    Value,

    /// <summary>f_i := Amount · f_i.</summary>
    Scale,

    /// <summary>x += Amount · W_dec[i] (f_i += Amount; needs no encoding).</summary>
    Add,
}

namespace Runner.Torch;

/// <summary>
/// A number passed to a tensor operation. Like Python's scalars, an integral scalar keeps an
/// integer tensor integral (<c>ids + 1</c>) while a floating one promotes it (<c>ids * 0.5</c>).
/// </summary>
public readonly struct Scalar
{
    private Scalar(double d, long i, int kind)
    {
        Double = d;
        Long = i;
        Kind = kind;
    }

    internal double Double { get; }
    internal long Long { get; }
    /// <summary>0 floating, 1 integral, 2 boolean: the ABI's encoding.</summary>
    internal int Kind { get; }

    /// <summary>A floating scalar.</summary>
    public static implicit operator Scalar(double d) => new(d, (long)d, 0);
    /// <summary>A floating scalar.</summary>
    public static implicit operator Scalar(float f) => new(f, (long)f, 0);
    /// <summary>An integral scalar.</summary>
    public static implicit operator Scalar(long i) => new(i, i, 1);
    /// <summary>An integral scalar.</summary>
    public static implicit operator Scalar(int i) => new(i, i, 1);
    /// <summary>A boolean scalar.</summary>
    public static implicit operator Scalar(bool b) => new(b ? 1 : 0, b ? 1 : 0, 2);

    /// <inheritdoc/>
    public override string ToString() => Kind == 0 ? Double.ToString("R", System.Globalization.CultureInfo.InvariantCulture) : Long.ToString(System.Globalization.CultureInfo.InvariantCulture);
}

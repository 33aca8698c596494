namespace Runner.Core.Models;

/// <summary>A hook site in one block (layer 0 is the first block).</summary>
public readonly record struct HookPoint(int Layer, HookSite Site)
{
    /// <summary>The snake_case name of a site, e.g. <c>resid_post</c>.</summary>
    public static string SiteName(HookSite site) => site switch
    {
        HookSite.ResidPre => "resid_pre",
        HookSite.ResidMid => "resid_mid",
        HookSite.ResidPost => "resid_post",
        HookSite.MlpHidden => "mlp_hidden",
        HookSite.MlpOut => "mlp_out",
        HookSite.AttnOut => "attn_out",
        _ => throw new ArgumentOutOfRangeException(nameof(site), site, "unknown hook site"),
    };

    /// <summary>Parses a snake_case site name; null when it is not one.</summary>
    public static HookSite? ParseSite(string name) =>
        Enum.GetValues<HookSite>().Cast<HookSite?>().FirstOrDefault(s => SiteName(s!.Value) == name);

    /// <summary>Parses <c>blocks.3.resid_post</c>; a <see cref="RunnerException"/> for anything else.</summary>
    public static HookPoint Parse(string text)
    {
        var parts = text.Split('.');
        if (parts.Length == 3 && parts[0] == "blocks" && int.TryParse(parts[1], System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var layer)
            && ParseSite(parts[2]) is { } site)
            return new HookPoint(layer, site);
        throw new RunnerException($"'{text}' is not a hook point (expected blocks.<layer>.<site> with site one of {string.Join(", ", Enum.GetValues<HookSite>().Select(SiteName))})", exitCode: 2);
    }

    // TransformerLens's hook names, which SAELens's cfg.json hook_name uses.
    private static readonly (HookSite Site, string Name)[] TransformerLensNames =
    [
        (HookSite.ResidPre, "hook_resid_pre"), (HookSite.ResidMid, "hook_resid_mid"), (HookSite.ResidPost, "hook_resid_post"),
        (HookSite.MlpHidden, "mlp.hook_post"), (HookSite.MlpOut, "hook_mlp_out"), (HookSite.AttnOut, "hook_attn_out"),
    ];

    /// <summary>The TransformerLens name SAELens's cfg.json uses: <c>blocks.L.hook_resid_post</c>, <c>blocks.L.mlp.hook_post</c> (mlp_hidden), ...</summary>
    public string TransformerLensName
    {
        get
        {
            var site = Site;
            return $"blocks.{Layer}." + TransformerLensNames.First(n => n.Site == site).Name;
        }
    }

    /// <summary>Parses a TransformerLens hook name (see <see cref="TransformerLensName"/>); null when it is not one Runner knows.</summary>
    public static HookPoint? ParseTransformerLens(string? name)
    {
        if (name is null || !name.StartsWith("blocks.", StringComparison.Ordinal)) return null;
        var rest = name["blocks.".Length..];
        var dot = rest.IndexOf('.');
        if (dot <= 0 || !int.TryParse(rest.AsSpan(0, dot), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var layer)) return null;
        foreach (var (site, siteName) in TransformerLensNames)
            if (rest[(dot + 1)..] == siteName) return new HookPoint(layer, site);
        return null;
    }

    /// <summary>E.g. <c>blocks.3.resid_post</c>.</summary>
    public override string ToString() => $"blocks.{Layer}.{SiteName(Site)}";
}

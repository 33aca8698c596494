using System.Globalization;
using System.Text.RegularExpressions;

namespace Runner.Core.IO;

/// <summary>
/// Just enough of PEP 440 (Python's <c>packaging.version.Version</c>) to decide what SAELens decides:
/// is a <c>sae_lens_version</c> at least <c>6.0.0-rc.0</c> (then the cfg is v6, else legacy)?
/// </summary>
internal static partial class Pep440
{
    // The public version pattern of PEP 440 (packaging's VERSION_PATTERN), case-insensitive.
    [GeneratedRegex("""
        ^\s*v?(?:(?<epoch>[0-9]+)!)?(?<release>[0-9]+(?:\.[0-9]+)*)
        (?:[-_\.]?(?<pre>alpha|a|beta|b|preview|pre|c|rc)[-_\.]?(?<pren>[0-9]+)?)?
        (?:-(?<post1>[0-9]+)|[-_\.]?(?<post>post|rev|r)[-_\.]?(?<postn>[0-9]+)?)?
        (?:[-_\.]?(?<dev>dev)[-_\.]?(?<devn>[0-9]+)?)?
        (?:\+[a-z0-9]+(?:[-_\.][a-z0-9]+)*)?\s*$
        """, RegexOptions.IgnoreCase | RegexOptions.IgnorePatternWhitespace | RegexOptions.CultureInvariant)]
    private static partial Regex Pattern();

    /// <summary>True when <paramref name="version"/> ≥ 6.0.0rc0; a <see cref="FormatException"/> when it is no PEP 440 version.</summary>
    public static bool IsAtLeast6(string version)
    {
        var m = Pattern().Match(version);
        if (!m.Success) throw new FormatException($"'{version}' is not a PEP 440 version");
        if (m.Groups["epoch"].Success && BigNumber(m.Groups["epoch"].Value) > 0) return true;
        var release = m.Groups["release"].Value.Split('.').Select(BigNumber).ToList();
        while (release.Count < 3) release.Add(0);
        var major = release[0];
        if (major != 6) return major > 6;
        if (release.Skip(1).Any(r => r > 0)) return true; // 6.0.1 and later, pre-releases included
        // 6.0.0 itself: final, post and rc releases qualify; alpha, beta and plain dev releases precede rc0.
        if (!m.Groups["pre"].Success) return !m.Groups["dev"].Success || m.Groups["post"].Success || m.Groups["post1"].Success;
        var pre = m.Groups["pre"].Value.ToLowerInvariant();
        if (pre is not ("rc" or "c" or "pre" or "preview")) return false;
        var number = m.Groups["pren"].Success ? BigNumber(m.Groups["pren"].Value) : 0;
        return number > 0 || !m.Groups["dev"].Success || m.Groups["post"].Success || m.Groups["post1"].Success;
    }

    private static decimal BigNumber(string digits) => decimal.Parse(digits.Length > 28 ? digits[..28] : digits, NumberStyles.None, CultureInfo.InvariantCulture);
}

using System.Diagnostics;
using System.Text.Json;
using Runner.Core.Tokenizers;

namespace Runner.Core.Tests.Tokenizers;

/// <summary>
/// Runner's NFC/NFD against Python's unicodedata.normalize (the source of Runner's tables, but an
/// independent implementation of the algorithm) on every character that decomposes or combines, and on
/// random sequences of starters and combining marks. Skipped where /usr/bin/python3 is missing.
/// </summary>
public sealed class UnicodeNormalizerPythonCrossCheckTests
{
    private const string Python = "/usr/bin/python3";

    [Fact]
    public async Task Nfc_and_nfd_agree_with_python_on_every_decomposing_or_combining_character_and_random_sequences()
    {
        Assert.SkipUnless(File.Exists(Python), "needs /usr/bin/python3");
        var start = new ProcessStartInfo(Python) { RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add("-c");
        start.ArgumentList.Add("""
            import json, random, sys, unicodedata as u
            if u.unidata_version != sys.argv[1]:
                print(json.dumps({"skip": u.unidata_version})); sys.exit(0)
            interesting = [chr(c) for c in range(0x110000) if not 0xD800 <= c < 0xE000
                           and (u.combining(chr(c)) or (u.decomposition(chr(c)) and not u.decomposition(chr(c)).startswith('<')))]
            marks = [c for c in interesting if u.combining(c)]
            starters = [c for c in interesting if not u.combining(c)] + list('aeiouAEOUnsckg') + ['\u1100', '\u1161', '\u11a8', '\uac00']
            rnd = random.Random(7)
            cases = interesting + [''.join([rnd.choice(starters)] + [rnd.choice(marks) for _ in range(rnd.randint(0, 4))]) for _ in range(3000)]
            print(json.dumps({"cases": [[s, u.normalize('NFC', s), u.normalize('NFD', s)] for s in cases]}))
            """);
        start.ArgumentList.Add(UnicodeNormalizationData.UnicodeVersion);
        using var p = Process.Start(start)!;
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        timeout.CancelAfter(TimeSpan.FromSeconds(60));
        var stdout = p.StandardOutput.ReadToEndAsync(timeout.Token);
        var stderr = p.StandardError.ReadToEndAsync(timeout.Token);
        await p.WaitForExitAsync(timeout.Token);
        Assert.True(p.ExitCode == 0, await stderr);
        using var doc = JsonDocument.Parse(await stdout);
        if (doc.RootElement.TryGetProperty("skip", out var version))
            Assert.Skip($"python3's unicodedata is Unicode {version}, the tables are {UnicodeNormalizationData.UnicodeVersion}");

        var failures = new List<string>();
        int count = 0;
        foreach (var c in doc.RootElement.GetProperty("cases").EnumerateArray())
        {
            count++;
            string s = c[0].GetString()!, nfc = c[1].GetString()!, nfd = c[2].GetString()!;
            if (UnicodeNormalizer.Nfc(s) != nfc) failures.Add($"NFC {Hex(s)}: runner {Hex(UnicodeNormalizer.Nfc(s))}, python {Hex(nfc)}");
            if (UnicodeNormalizer.Nfd(s) != nfd) failures.Add($"NFD {Hex(s)}: runner {Hex(UnicodeNormalizer.Nfd(s))}, python {Hex(nfd)}");
        }
        Assert.True(count > 3000, $"only {count} cases");
        Assert.True(failures.Count == 0, $"{failures.Count} differences:\n{string.Join('\n', failures.Take(20))}");
    }

    private static string Hex(string s) => string.Join(' ', s.EnumerateRunes().Select(r => $"{r.Value:X4}"));
}

using System.Xml.Linq;

namespace Runner.Cli.GpuCheck;

/// <summary>One test result read from an xunit XML report.</summary>
public sealed record TestRow(string Assembly, string Name, string Result, string? Message)
{
    /// <summary>A device row: a test parameterized by device whose device is CUDA (its display name holds <c>deviceName: "cuda</c>, the convention of the device theories).</summary>
    public bool IsDeviceRow => Name.Replace("\\\"", "\"", StringComparison.Ordinal).Contains("deviceName: \"cuda", StringComparison.Ordinal);   // xunit writes quotes in names as \"
}

/// <summary>Counts of one group of rows.</summary>
public sealed record RowCounts(int Total, int Passed, int Failed, int Skipped)
{
    /// <summary>Counts <paramref name="rows"/>.</summary>
    public static RowCounts Of(IEnumerable<TestRow> rows)
    {
        var list = rows.ToList();
        return new RowCounts(list.Count, list.Count(r => r.Result == "Pass"), list.Count(r => r.Result == "Fail"), list.Count(r => r.Result == "Skip"));
    }
}

/// <summary>
/// The device rows of the binding and model tests: runs each test executable (xunit v3 in-process
/// runner) with an XML report and reads every row back; CPU rows run too (they are the reference the
/// device rows are written against).
/// </summary>
public static class DeviceRows
{
    /// <summary>Reads an xunit v2/v3 XML report: every &lt;test&gt; with its result and failure message.</summary>
    public static IReadOnlyList<TestRow> Read(string xmlPath)
    {
        var doc = XDocument.Load(xmlPath);
        return doc.Descendants("assembly").SelectMany(a =>
        {
            var assembly = Path.GetFileNameWithoutExtension((string?)a.Attribute("name") ?? "?");
            return a.Descendants("test").Select(t => new TestRow(
                assembly,
                (string?)t.Attribute("name") ?? "?",
                (string?)t.Attribute("result") ?? "?",
                t.Element("failure")?.Element("message")?.Value.Trim() ?? t.Element("reason")?.Value.Trim()));
        }).ToList();
    }

    /// <summary>Runs the test assemblies of <paramref name="layout"/>; returns their rows and a note per assembly that could not run.</summary>
    public static (IReadOnlyList<TestRow> Rows, IReadOnlyList<string> Notes) Run(GpuCheckLayout layout, string outDir, TimeSpan limit, CancellationToken ct)
    {
        var rows = new List<TestRow>();
        var notes = new List<string>();
        foreach (var (name, namespaces) in GpuCheckLayout.TestAssemblies)
        {
            var exe = layout.TestExecutable(name);
            if (exe is null)
            {
                notes.Add($"{name}: not found ({(layout.IsBundle ? "not in this bundle" : "build the tests first: dotnet build -c Release")})");
                continue;
            }
            var xml = Path.Combine(outDir, $"{name}.xml");
            var args = new List<string> { "-noLogo", "-noColor", "-xml", xml };
            foreach (var ns in namespaces ?? []) args.AddRange(["-namespace", ns]);
            var result = ChildProcess.Run(exe, args, Path.GetDirectoryName(exe)!, Path.Combine(outDir, "logs", $"{name}.log"), limit, ct: ct);
            if (!File.Exists(xml))
            {
                notes.Add($"{name}: exited {result.ExitCode} without a report (log: {result.Log})");
                continue;
            }
            rows.AddRange(Read(xml));
        }
        return (rows, notes);
    }
}

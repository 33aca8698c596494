using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Runner.Cli.GpuCheck;
using Runner.Core;
using Runner.Torch;

namespace Runner.Cli.Commands;

/// <summary>
/// <c>runner gpu-check</c>: what a researcher handed a GPU node runs first. The device rows of the binding
/// and model tests, golden-gate-mini's SAE trained and evaluated on the CPU and on CUDA (metrics compared),
/// and the benchmarks next to the machine's PyTorch eager on the same device; one folder of JSON and a
/// short summary. Without CUDA it says so and runs the CPU parts.
/// </summary>
public static class GpuCheckCommand
{
    /// <summary>Builds the command.</summary>
    public static Command Create(CliContext context)
    {
        var minutes = new Option<double>("--minutes") { Description = "Time budget; steps that do not fit are skipped and said so.", DefaultValueFactory = _ => 10 };
        var output = new Option<string?>("--out") { Description = "Folder for gpu-check.json, summary.txt and the logs (default: gpu-check-<time> in the working directory)." };
        var python = new Option<string?>("--python") { Description = "The Python whose PyTorch is the reference (default: $RUNNER_PYTHON, else python3)." };
        var quick = new Option<bool>("--quick") { Description = "Small workloads (a shorter pretrain, tiny benchmarks): a smoke test of the whole path." };
        var skip = new Option<string[]>("--skip") { Description = "Parts to leave out: tests, agreement, bench.", AllowMultipleArgumentsPerToken = true };
        var command = new Command("gpu-check", "Check Runner on this machine's GPU: device test rows, CPU-vs-CUDA agreement, benchmarks against PyTorch eager.")
        {
            minutes, output, python, quick, skip,
        };
        command.SetAction(r =>
        {
            var budget = r.GetValue(minutes);
            if (budget <= 0) throw new RunnerException($"--minutes must be positive, got {budget}", ExitCodes.Usage);
            var skipped = (r.GetValue(skip) ?? []).Select(s => s.Trim().ToLowerInvariant()).ToHashSet();
            foreach (var s in skipped.Where(s => s is not ("tests" or "agreement" or "bench")))
                throw new RunnerException($"--skip takes tests, agreement or bench, got '{s}'", ExitCodes.Usage);
            var outDir = Path.GetFullPath(r.GetValue(output) ?? $"gpu-check-{DateTime.Now:yyyyMMdd-HHmmss}", context.WorkingDirectory);
            var py = r.GetValue(python) ?? context.GetEnvironment("RUNNER_PYTHON") ?? "python3";
            return Run(context, outDir, TimeSpan.FromMinutes(budget), py, r.GetValue(quick), skipped);
        });
        return command;
    }

    private static int Run(CliContext context, string outDir, TimeSpan budget, string python, bool quick, ISet<string> skip)
    {
        var o = context.Out;
        var layout = GpuCheckLayout.Find(context.GetEnvironment);
        Directory.CreateDirectory(outDir);
        var clock = Stopwatch.StartNew();
        TimeSpan Left() => budget - clock.Elapsed;
        var cuda = TorchRuntime.CudaIsAvailable;
        var deviceName = cuda ? TorchRuntime.CudaDeviceName(0) : null;
        var report = new JsonObject
        {
            ["runner_version"] = typeof(GpuCheckCommand).Assembly.GetName().Version?.ToString(),
            ["libtorch"] = TorchRuntime.Version,
            ["shim"] = TorchRuntime.ShimPath,
            ["cuda_available"] = cuda,
            ["device"] = cuda ? $"cuda:0 ({deviceName})" : "cpu",
            ["cpu_cores"] = Environment.ProcessorCount,
            ["quick"] = quick,
            ["budget_s"] = budget.TotalSeconds,
            ["layout"] = layout.IsBundle ? "bundle" : "checkout",
            ["home"] = layout.Home,
        };
        if (layout.IsBundle && ReadBuildRecord(layout.Home) is { } build) report["build"] = build;
        var summary = new StringBuilder();
        void Say(string line)
        {
            o.WriteLine(line);
            summary.AppendLine(line);
        }
        Say($"gpu-check: {(cuda ? $"CUDA device cuda:0 ({deviceName})" : "no CUDA device (this libtorch has no CUDA or no GPU is present): running the CPU parts only")}; libtorch {TorchRuntime.Version}; {Environment.ProcessorCount} CPU cores; budget {budget.TotalMinutes:0.#} min{(quick ? "; quick" : "")}");
        var failed = false;

        // 1. Device rows of the binding and model tests.
        if (skip.Contains("tests")) Say("tests: skipped (--skip tests)");
        else if (Left() < TimeSpan.FromSeconds(20)) Say("tests: skipped (time budget)");
        else
        {
            var (rows, notes) = DeviceRows.Run(layout, Path.Combine(outDir, "tests"), Share(Left(), 0.35), context.Cancellation);
            var device = RowCounts.Of(rows.Where(x => x.IsDeviceRow));
            var other = RowCounts.Of(rows.Where(x => !x.IsDeviceRow));
            var failures = rows.Where(x => x.Result == "Fail").ToList();
            report["tests"] = new JsonObject
            {
                ["cuda_rows"] = Counts(device),
                ["other_rows"] = Counts(other),
                ["by_assembly"] = new JsonObject(rows.GroupBy(x => x.Assembly).Select(g =>
                    KeyValuePair.Create(g.Key, (JsonNode?)new JsonObject { ["cuda_rows"] = Counts(RowCounts.Of(g.Where(x => x.IsDeviceRow))), ["other_rows"] = Counts(RowCounts.Of(g.Where(x => !x.IsDeviceRow))) }))),
                ["failures"] = new JsonArray(failures.Select(f => (JsonNode?)new JsonObject { ["test"] = f.Name, ["message"] = f.Message }).ToArray()),
                ["notes"] = new JsonArray(notes.Select(n => (JsonNode?)n).ToArray()),
            };
            Say($"tests: cuda rows {device.Passed} passed, {device.Failed} failed, {device.Skipped} skipped of {device.Total}; other rows {other.Passed} passed, {other.Failed} failed, {other.Skipped} skipped of {other.Total}");
            foreach (var f in failures.Take(20)) Say($"  FAIL {f.Name}: {FirstLine(f.Message)}");
            if (failures.Count > 20) Say($"  ... and {failures.Count - 20} more (gpu-check.json)");
            foreach (var n in notes) Say($"  note: {n}");
            failed |= failures.Count > 0 || notes.Count > 0 || (cuda && device.Total == 0);
        }

        // 2. golden-gate-mini's SAE on the CPU and on CUDA.
        if (skip.Contains("agreement")) Say("agreement: skipped (--skip agreement)");
        else if (Left() < TimeSpan.FromSeconds(30)) Say("agreement: skipped (time budget)");
        else failed |= !RunAgreement(context, layout, outDir, quick, cuda, Left, report, Say);

        // 3. Benchmarks next to PyTorch eager.
        if (skip.Contains("bench")) Say("bench: skipped (--skip bench)");
        else if (Left() < TimeSpan.FromSeconds(15)) Say("bench: skipped (time budget)");
        else RunBenches(context, layout, outDir, quick, cuda, python, Left, report, Say);

        report["elapsed_s"] = Math.Round(clock.Elapsed.TotalSeconds, 1);
        report["passed"] = !failed;
        Say($"gpu-check: {(failed ? "FAILED" : "passed")} in {clock.Elapsed.TotalSeconds:F0} s; {Path.Combine(outDir, "gpu-check.json")}, summary.txt and logs/ in {outDir}");
        WriteAtomically(Path.Combine(outDir, "gpu-check.json"), report.ToJsonString(new JsonSerializerOptions { WriteIndented = true }) + "\n");
        WriteAtomically(Path.Combine(outDir, "summary.txt"), summary.ToString());
        return failed ? ExitCodes.Failed : ExitCodes.Ok;
    }

    private static bool RunAgreement(CliContext context, GpuCheckLayout layout, string outDir, bool quick, bool cuda, Func<TimeSpan> left, JsonObject report, Action<string> say)
    {
        var dir = Path.Combine(outDir, "agreement");
        var cache = Path.Combine(dir, "cache");
        var (program, prefix) = RunExecutors.Self(context);
        string[] sets = [.. Agreement.Trim, .. quick ? Agreement.Quick : []];
        ChildResult Runner(string log, params string[] args) =>
            ChildProcess.Run(program, [.. prefix, .. args], dir, Path.Combine(outDir, "logs", log), left(), ct: context.Cancellation);
        IEnumerable<string> Sets(IEnumerable<string> s) => s.SelectMany(x => new[] { "--set", x });
        Directory.CreateDirectory(dir);

        var ggm = layout.Experiment("golden-gate-mini.yaml");
        var pre = Runner("agreement-pretrain.log", ["run", ggm, "--device", "cpu", .. Sets(sets), "--runs-dir", Path.Combine(dir, "runs-pretrain"), "--cache-dir", cache]);
        if (!pre.Ok)
        {
            say($"agreement: the CPU pretrain run failed (exit {pre.ExitCode}, log {pre.Log}):{Environment.NewLine}{Indent(pre.Tail())}");
            report["agreement"] = new JsonObject { ["error"] = $"pretrain run failed, exit {pre.ExitCode}", ["log"] = pre.Log };
            return false;
        }
        var model = Path.Combine(dir, "runs-pretrain", "golden-gate-mini", "golden-gate-mini", "model");
        var spec = Path.Combine(dir, "agreement.yaml");
        File.WriteAllText(spec, Agreement.Spec(ggm, Path.GetFullPath(model)));
        string[] specSets = quick ? Agreement.Quick.Where(s => !s.StartsWith("model.", StringComparison.Ordinal)).ToArray() : [];
        var runs = new Dictionary<string, ChildResult>();
        foreach (var device in cuda ? new[] { "cpu", "cuda" } : ["cpu"])
            runs[device] = Runner($"agreement-{device}.log", ["run", spec, "--device", device, .. Sets(specSets), "--runs-dir", Path.Combine(dir, $"runs-{device}"), "--cache-dir", cache]);
        var node = new JsonObject
        {
            ["tolerance"] = $"|cpu - cuda| <= max({Agreement.RelativeTolerance} * max(|cpu|, |cuda|), {Agreement.AbsoluteTolerance}); {Agreement.LatentFractionTolerance} for fractions of latents (dead, dense, freq_over_1_percent)",
            ["seconds"] = new JsonObject(runs.Select(p => KeyValuePair.Create(p.Key, (JsonNode?)Math.Round(p.Value.Seconds, 1)))),
        };
        report["agreement"] = node;
        foreach (var (device, run) in runs.Where(p => !p.Value.Ok))
        {
            say($"agreement: the {device} run failed (exit {run.ExitCode}, log {run.Log}):{Environment.NewLine}{Indent(run.Tail())}");
            node["error"] = $"{device} run failed, exit {run.ExitCode}";
            return false;
        }
        JsonObject Metrics(string device) => Agreement.Metrics(Path.Combine(dir, $"runs-{device}", Agreement.Name, Agreement.Name));
        if (!cuda)
        {
            var cpuOnly = Metrics("cpu");
            node["cpu"] = cpuOnly.DeepClone();
            say($"agreement: cpu run finished in {runs["cpu"].Seconds:F0} s ({cpuOnly.Count} metrics); no CUDA device, so nothing to compare it with");
            return true;
        }
        var rows = Agreement.Compare(Metrics("cpu"), Metrics("cuda"));
        node["metrics"] = new JsonArray(rows.Select(m => (JsonNode?)new JsonObject
        {
            ["metric"] = m.Name, ["cpu"] = Finite(m.Cpu), ["cuda"] = Finite(m.Cuda), ["difference"] = Finite(m.Difference), ["tolerance"] = m.Tolerance, ["agrees"] = m.Agrees,
        }).ToArray());
        var off = rows.Where(m => !m.Agrees).ToList();
        node["agrees"] = off.Count == 0;
        say($"agreement: golden-gate-mini SAE, cpu {runs["cpu"].Seconds:F0} s vs cuda {runs["cuda"].Seconds:F0} s; {rows.Count - off.Count} of {rows.Count} metrics within max({Agreement.RelativeTolerance:P0} relative, {Agreement.AbsoluteTolerance} absolute; {Agreement.LatentFractionTolerance} for fractions of latents)");
        foreach (var m in rows.Where(m => m.Name.StartsWith("evaluate.", StringComparison.Ordinal) || !m.Agrees).Take(24))
            say(string.Create(CultureInfo.InvariantCulture, $"  {(m.Agrees ? "ok  " : "OFF ")} {m.Name,-40} cpu {m.Cpu,12:G6}  cuda {m.Cuda,12:G6}  diff {m.Difference:G3}"));
        return off.Count == 0;
    }

    private static void RunBenches(CliContext context, GpuCheckLayout layout, string outDir, bool quick, bool cuda, string python, Func<TimeSpan> left, JsonObject report, Action<string> say)
    {
        var (program, prefix) = RunExecutors.Self(context);
        var device = cuda ? "cuda" : "cpu";
        var reference = layout.TorchReference;
        var probe = ChildProcess.Run(python, [reference, "matmul", "--m", "64", "--k", "64", "--n", "64", "--iters", "1", "--device", device], outDir, Path.Combine(outDir, "logs", "torch-probe.log"), TimeSpan.FromMinutes(2), ct: context.Cancellation);
        var torchVersion = probe.Ok ? JsonNode.Parse(probe.Stdout.Trim().Split('\n')[^1])?["torch"]?.GetValue<string>() : null;
        var referenceNote = probe.Ok ? null : $"no PyTorch reference: {python} {reference} failed (exit {probe.ExitCode}; log {probe.Log}); set --python or RUNNER_PYTHON to a Python with torch";
        say(probe.Ok ? $"bench: runner vs PyTorch {torchVersion} eager ({python}), on {device}" : $"bench: {referenceNote}");
        var results = new JsonArray();
        foreach (var c in Benches.For(cuda, quick, Environment.ProcessorCount))
        {
            if (left() < TimeSpan.FromSeconds(10))
            {
                say($"  {c.Name}: skipped (time budget)");
                continue;
            }
            var slug = string.Concat(c.Name.Select(ch => char.IsLetterOrDigit(ch) ? ch : '-'));
            var ours = ChildProcess.Run(program, [.. prefix, "bench", .. c.Runner, "--device", device, "--json"], outDir, Path.Combine(outDir, "logs", $"bench-{slug}.log"), left(), ct: context.Cancellation);
            double? mine = ours.Ok ? Benches.Figure(ours.Stdout, c.Field) : null;
            var refs = new List<(string, double?)>();
            if (probe.Ok)
                foreach (var (variant, args) in c.Reference)
                {
                    var theirs = ChildProcess.Run(python, [reference, .. args, "--device", device], outDir, Path.Combine(outDir, "logs", $"torch-{slug}-{variant}.log"), left(), ct: context.Cancellation);
                    refs.Add((variant, theirs.Ok ? Benches.Figure(theirs.Stdout, c.Field) : null));
                }
            var result = new BenchResult(c.Name, c.Unit, mine, refs, ours.Ok ? null : $"runner bench failed (exit {ours.ExitCode}, log {ours.Log}): {FirstLine(ours.Tail(3))}");
            results.Add(new JsonObject
            {
                ["name"] = c.Name, ["unit"] = c.Unit, ["runner"] = Round(mine),
                ["pytorch"] = new JsonObject(refs.Select(p => KeyValuePair.Create(p.Item1, (JsonNode?)Round(p.Item2)))),
                ["ratio"] = new JsonObject(result.Ratios.Select(p => KeyValuePair.Create(p.Variant, (JsonNode?)Math.Round(p.Ratio, 3)))),
                ["note"] = result.Note,
            });
            var ratios = string.Join(", ", result.Ratios.Select(p => string.Create(CultureInfo.InvariantCulture, $"{p.Ratio:F2} vs {p.Variant}")));
            say(mine is null
                ? $"  {c.Name}: {result.Note}"
                : string.Create(CultureInfo.InvariantCulture, $"  {c.Name,-44} runner {mine,10:N0} {c.Unit}   pytorch {string.Join(" / ", refs.Select(p => p.Item2 is { } v ? v.ToString("N0", CultureInfo.InvariantCulture) : "failed")),-20} ratio {(ratios.Length > 0 ? ratios : "-")}"));
        }
        report["bench"] = new JsonObject { ["device"] = device, ["pytorch"] = torchVersion, ["python"] = python, ["note"] = referenceNote, ["results"] = results };
    }

    private static JsonObject? ReadBuildRecord(string home)
    {
        var path = Path.Combine(home, "native", "current", "build.json");
        try
        {
            return File.Exists(path) ? JsonNode.Parse(File.ReadAllText(path)) as JsonObject : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private static TimeSpan Share(TimeSpan left, double fraction) => TimeSpan.FromSeconds(Math.Max(20, left.TotalSeconds * fraction));

    private static JsonObject Counts(RowCounts c) => new() { ["total"] = c.Total, ["passed"] = c.Passed, ["failed"] = c.Failed, ["skipped"] = c.Skipped };

    private static JsonNode? Finite(double v) => double.IsFinite(v) ? v : v.ToString(CultureInfo.InvariantCulture);

    private static JsonNode? Round(double? v) => v is { } d ? Math.Round(d, 1) : null;

    private static string FirstLine(string? text) => (text ?? "").Split('\n', 2)[0].Trim();

    private static string Indent(string text) => string.Join(Environment.NewLine, text.Split('\n').Select(l => "    " + l.TrimEnd()));

    private static void WriteAtomically(string path, string text)
    {
        var temp = path + ".tmp";
        File.WriteAllText(temp, text);
        File.Move(temp, path, overwrite: true);
    }
}

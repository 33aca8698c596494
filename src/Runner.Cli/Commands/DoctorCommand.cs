using System.CommandLine;
using System.Reflection;
using System.Runtime.InteropServices;
using Runner.Torch;

namespace Runner.Cli.Commands;

/// <summary><c>runner doctor</c>: what Runner runs on, in lines to paste into a bug report.</summary>
public static class DoctorCommand
{
    /// <summary>Builds the command.</summary>
    public static Command Create(CliContext context)
    {
        var command = new Command("doctor", "Print the runner and libtorch versions, the BLAS, threads and CUDA devices.");
        command.SetAction(_ => Run(context.Out));
        return command;
    }

    /// <summary>Writes the report; returns the exit code.</summary>
    public static int Run(TextWriter o)
    {
        var version = typeof(DoctorCommand).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "unknown";
        o.WriteLine($"runner           {version.Split('+')[0]}");
        o.WriteLine($".NET             {RuntimeInformation.FrameworkDescription} ({RuntimeInformation.RuntimeIdentifier})");
        o.WriteLine($"native shim      {TorchRuntime.ShimPath}");
        o.WriteLine($"libtorch         {TorchRuntime.Version} ({TorchRuntime.LibraryPath})");
        o.WriteLine($"BLAS             {TorchRuntime.BlasInfo}");
        var blasThreads = TorchRuntime.OpenBlasThreads;
        o.WriteLine($"threads          {TorchRuntime.Threads} intra-op{(blasThreads > 0 ? $", {blasThreads} OpenBLAS" : "")} ({Environment.ProcessorCount} cores; RUNNER_THREADS={Environment.GetEnvironmentVariable("RUNNER_THREADS") ?? "unset"}, OMP_WAIT_POLICY={Environment.GetEnvironmentVariable("OMP_WAIT_POLICY") ?? "unset"})");
        if (Environment.GetEnvironmentVariable("RUNNER_BUNDLE") is { Length: > 0 } bundle)
        {
            var record = Path.Combine(bundle, "native", "current", "build.json");
            o.WriteLine($"bundle           {bundle}{(File.Exists(record) ? "" : " (no build record)")}");
            if (File.Exists(record) && System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(record)) is System.Text.Json.Nodes.JsonObject b)
                o.WriteLine($"shim built for   libtorch {b["libtorch_version"]} via {b["route"]}{(b["cuda_version"]?.ToString() is { Length: > 0 } c ? $", CUDA {c}" : ", no CUDA")}{(b["gpu"]?.ToString() is { Length: > 0 } g ? $", {g}" : "")}; {b["compiler"]}; {b["built_at"]}");
        }
        if (TorchRuntime.CudaIsAvailable)
        {
            var n = TorchRuntime.CudaDeviceCount;
            o.WriteLine($"CUDA             available, {n} device{(n == 1 ? "" : "s")}");
            for (var i = 0; i < n; i++) o.WriteLine($"  cuda:{i}         {TorchRuntime.CudaDeviceName(i)}");
        }
        else
        {
            o.WriteLine("CUDA             not available (this libtorch has no CUDA or no device is present); device: auto runs on cpu");
        }
        return ExitCodes.Ok;
    }
}
